"""The bad-input corpora together: large enough, and every case states what it must produce."""

from __future__ import annotations

from pathlib import Path

from bad_input import REPO, cases, expectations

INPUTS = REPO / "tests" / "inputs"
BLUEPRINTS = REPO / "tests" / "blueprint" / "broken"
CORPORA = {"targets": ".yaml", "plans": ".json", "locks": ".json", "journals": ".jsonl"}


def _all_cases() -> list[Path]:
    found = [case for name, suffix in CORPORA.items() for case in cases(INPUTS / name, suffix)]
    found += [case for case in BLUEPRINTS.iterdir() if case.name.startswith("2")]
    return found


def test_the_corpora_hold_at_least_a_hundred_cases_of_every_kind() -> None:
    every = _all_cases()
    assert len(every) >= 100
    assert all(cases(INPUTS / name, suffix) for name, suffix in CORPORA.items())


def test_every_case_states_its_expectations_and_numbers_are_unique() -> None:
    for name, suffix in CORPORA.items():
        found = cases(INPUTS / name, suffix)
        numbers = [case.name.split("-", 1)[0] for case in found]
        assert len(set(numbers)) == len(numbers), name
        for case in found:
            sidecar = case.with_suffix(".expect")
            assert expectations(sidecar if sidecar.exists() else case)
