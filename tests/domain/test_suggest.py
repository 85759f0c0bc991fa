"""A refused value names the one meant: "did you mean" for slips of case and spelling."""

from __future__ import annotations

from garante.domain.vocabulary import suggest


def test_an_id_typed_in_capitals_suggests_the_id() -> None:
    assert suggest("DEA", ["dea", "fbi", "nca"]).startswith("did you mean 'dea'?")


def test_a_misspelt_value_suggests_the_closest() -> None:
    assert suggest("siezure", ["seizure", "arrest"]).startswith("did you mean 'seizure'?")


def test_a_value_like_nothing_known_lists_what_is_accepted() -> None:
    assert suggest("zzz", ["dea", "fbi"]) == "accepted: dea, fbi"
