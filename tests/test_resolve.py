"""Claimant resolution details not covered by the fixture reports."""

from __future__ import annotations

import pytest

from claims.extraction.extract import Extractor
from claims.models import Document

TEXT = (
    "The Velorian navy said it sank two boats. "
    "Navy spokeswoman Captain Ilse Varga said the boats ignored warnings. "
    "John Fox, a spokesman for the Coastal Liberation Front, said it was a lie."
)


@pytest.mark.parametrize(
    ("name", "affiliation"),
    [
        ("Velorian navy", None),
        ("Ilse Varga", "Velorian navy"),
        ("John Fox", "Coastal Liberation Front"),
    ],
)
def test_resolve_spokesperson_affiliation(
    extractor: Extractor, name: str, affiliation: str | None
) -> None:
    claimants = {
        c.claimant.name: c.claimant.affiliation
        for c in extractor.run(Document(id="r", text=TEXT))
        if c.speaker is not None
    }
    assert claimants[name] == affiliation
