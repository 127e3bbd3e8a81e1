"""One party per speaker across an incident's reports (`PartyResolver`), on hand-built claims."""

from __future__ import annotations

from claims.comparison.parties import PartyResolver
from claims.models import Claim, Claimant, ClaimKind, Document, EntityType, Span


def claim(cid: str, name: str) -> Claim:
    text = "something was said"
    return Claim(
        id=cid,
        document_id="d",
        speaker=None,
        cue=None,
        content=Span(start=0, end=len(text), text=text),
        kind=ClaimKind.INDIRECT,
        claimant=Claimant(name=name, type=EntityType.ORGANIZATION),
    )


def resolver(*names: str) -> PartyResolver:
    doc = Document(id="d", text="Reports from two neighbouring countries.")
    return PartyResolver([doc], [claim(f"c{i}", n) for i, n in enumerate(names)])


def test_an_owner_and_head_word_name_the_longer_party() -> None:
    parties = resolver("the Valdorian Border Service", "Valdoria's service", "Marenia's service")
    assert parties.key("Valdoria's service") == parties.key("the Valdorian Border Service")
    assert parties.key("Marenia's service") != parties.key("the Valdorian Border Service")


def test_a_bare_head_word_does_not_merge() -> None:
    parties = resolver("the Valdorian Border Service", "the service")
    assert parties.key("the service") != parties.key("the Valdorian Border Service")
