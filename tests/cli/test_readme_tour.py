"""README.md's five-minute tour, checked by machine, so that the first page a reader opens stays
true.

The tour's story is: ``make demo`` replays the scenario and serves it; in another terminal the
reader runs the commands the README shows. So the test runs ``garante demo`` as a real server
process (on a free port, in a temporary directory that stands for the checkout), checks the
lines the README quotes from its output, waits for its first checkpoint, and then, while it
still serves, runs every ``$ `` line of the tour's text blocks with bash, in document order,
comparing what each prints with the lines the README shows under it. Then it runs, on the
store the tour leaves, the examples of the pages that follow on from it (docs/outcomes.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.as_printed import run_as_printed
from tests.support.docblocks import Command, Fenced, fenced_blocks, text_commands
from tests.support.servers import Demo, serving_demo

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Pages whose examples follow on from the tour, on the store it leaves.
FOLLOWING = (ROOT / "docs" / "outcomes.md",)


def text_blocks(page: Path = README) -> list[Fenced]:
    return [block for block in fenced_blocks(page) if block.language == "text"]


def commands(page: Path) -> list[tuple[Path, Command]]:
    """Every ``$ `` line of the page's text blocks, with the output lines shown below it."""
    return [(page, command) for command in text_commands(page)]


def demo_output_block() -> list[str]:
    """The block quoting what the demo prints: the first text block with no command in it."""
    return next(block.lines for block in text_blocks() if not block.commands)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """``garante demo`` serving from a fresh directory, as ``make demo`` leaves it."""
    with serving_demo(tmp_path_factory.mktemp("checkout")) as served:
        yield served


def test_the_demo_prints_the_lines_the_readme_quotes_in_order(demo: Demo) -> None:
    printed = iter(demo.printed)
    for quoted in demo_output_block():
        if quoted == "...":
            continue
        assert any(line == quoted for line in printed), f"the demo did not print: {quoted!r}"


def test_the_demo_names_where_the_console_and_the_api_are(demo: Demo) -> None:
    banner = f"Web console on {demo.url}/ (sign in with a token above); "
    assert banner in "\n".join(demo.printed)
    assert httpx.get(f"{demo.url}/", timeout=5).status_code in (200, 303)


def test_every_command_of_the_tour_and_the_pages_after_it_prints_what_they_show(
    demo: Demo,
) -> None:
    demo.wait_until_published()  # the tour's export counts the server's checkpoint
    tour = commands(README)
    assert len(tour) >= 6, "the tour's commands were not found in README.md"
    for page in FOLLOWING:
        tour += commands(page)
    for page, command in tour:
        run_as_printed(page, command, demo.checkout)
