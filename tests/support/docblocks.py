"""Fenced blocks of a Markdown page, for the tests that run a page's examples as printed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fenced:
    language: str
    lines: list[str]
    line: int  # of the opening fence, counting from 1

    @property
    def commands(self) -> list[Command]:
        """The ``$ `` lines of a text block, each with the lines shown under it."""
        found: list[Command] = []
        for offset, text in enumerate(self.lines):
            if text.startswith("$ "):
                found.append(Command(self.line + offset + 1, text[2:], []))
            elif found:
                found[-1].expected.append(text)
        return found


@dataclass(frozen=True)
class Command:
    line: int
    shell: str
    expected: list[str]


def fenced_blocks(page: Path) -> list[Fenced]:
    """Every fenced block of ``page`` that names its language, in document order."""
    lines = page.read_text().splitlines()
    found = []
    index = 0
    while index < len(lines):
        if lines[index].startswith("```") and len(lines[index]) > 3:
            end = lines.index("```", index + 1)
            found.append(Fenced(lines[index][3:].strip(), lines[index + 1 : end], index + 1))
            index = end
        index += 1
    return found


def section_lines(page: Path, heading: str) -> range:
    """The line numbers (from 1) of the section under ``heading`` (a whole heading line, e.g.
    ``## The whole chain, end to end``), up to the next heading of its level or above: for a
    page whose sections are run by different tests."""
    lines = page.read_text().splitlines()
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    end = start + 1
    fenced = False
    while end < len(lines):
        text = lines[end]
        fenced = fenced != text.startswith("```")
        marks = len(text) - len(text.lstrip("#"))
        if not fenced and 0 < marks <= level and text[marks:].startswith(" "):
            break
        end += 1
    return range(start + 1, end + 1)


def text_commands(page: Path) -> list[Command]:
    """Every ``$ `` line of the page's ```text blocks, in document order."""
    return [
        command
        for block in fenced_blocks(page)
        if block.language == "text"
        for command in block.commands
    ]
