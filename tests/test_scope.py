"""What a negation is about, read from the real parse of short invented sentences."""

from __future__ import annotations

import pytest

from claims.comparison.scope import ScopeReader, stem

READER = ScopeReader()


def test_scope_stem_meets_derived_forms() -> None:
    assert stem("warning") == stem("warn")
    assert stem("payments") == stem("pay") == stem("paid")
    assert stem("brake") == stem("brake")


@pytest.mark.parametrize(
    ("negation", "other"),
    [
        ("There was no warning before the water came.", "We warned every village a day earlier."),
        ("The company never made any payment to officials.", "Officials were paid by the firm."),
        ("No patient data was taken.", "The group says it took patient records."),
        ("The contract was awarded without an open tender.", "The tender was open to all."),
    ],
)
def test_scope_a_negation_meets_what_it_negates(negation: str, other: str) -> None:
    assert READER.negation_meets(negation, other)


@pytest.mark.parametrize(
    ("negation", "other"),
    [
        ("We have no more blood at the hospital.", "I saw bodies everywhere in the market."),
        ("Nobody has told us anything since the morning.", "The inspectors will publish a report."),
        ("There was no weapons depot in the town.", "The strike killed 23 civilians."),
    ],
)
def test_scope_a_negation_does_not_meet_other_matters(negation: str, other: str) -> None:
    assert not READER.negation_meets(negation, other)


def test_scope_an_assertion_negates_nothing() -> None:
    assert READER.terms("The river was polluted.").negated == frozenset()
