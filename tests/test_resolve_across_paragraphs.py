"""Claimant resolution across sentences and paragraphs: who a pronoun, a document or a bare role
noun stands for when the speaker was introduced somewhere else (invented text throughout)."""

from __future__ import annotations

from claims.extraction.extract import Extractor
from claims.models import Claim, Document


def _claims(extractor: Extractor, text: str, outlet: str | None = None) -> list[Claim]:
    return [
        c
        for c in extractor.run(Document(id="t", text=text, outlet=outlet))
        if c.speaker is not None
    ]


def _said(claims: list[Claim], words: str) -> Claim:
    return next(c for c in claims if words in c.content.text)


# 1. a pronoun after an introduction that reports nothing -----------------------------------------
def test_pronoun_takes_the_person_named_in_apposition_just_before(extractor: Extractor) -> None:
    text = (
        "The coast guard said two fishermen were missing after the storm.\n\n"
        "The governor of the Ardel province, Tomas Prenn, gave a higher figure. "
        '"Five boats have not come back, and we fear for their crews," he told the Lumen agency.'
    )
    claim = _said(_claims(extractor, text), "Five boats")
    assert claim.claimant.name == "Tomas Prenn"


def test_pronoun_takes_a_role_noun_subject_just_before(extractor: Extractor) -> None:
    text = (
        "The regional police said the road to Vesk was closed.\n\n"
        "The mayor of Vesk gave a grimmer account. "
        '"Forty homes are under water in the lower town," she said.'
    )
    claim = _said(_claims(extractor, text), "Forty homes")
    assert claim.claimant.name == "mayor"


def test_pronoun_keeps_the_claimant_when_nobody_new_was_introduced(extractor: Extractor) -> None:
    text = (
        "Mayor Irena Valk said the dam had held overnight. The river fell by a metre. "
        '"We are not out of danger yet," she said.'
    )
    claim = _said(_claims(extractor, text), "not out of danger")
    assert claim.claimant.name == "Irena Valk"


def test_pronoun_skips_a_person_of_the_other_gender(extractor: Extractor) -> None:
    text = (
        '"The water came at night," said Ms. Lotta Brenn, a teacher in Osk.\n\n'
        'Her neighbour, Pavel Orsk, said the alarm never sounded. "Nobody warned us," he said.'
    )
    claim = _said(_claims(extractor, text), "Nobody warned us")
    assert claim.claimant.name == "Pavel Orsk"


def test_who_after_a_place_is_the_person_not_the_place(extractor: Extractor) -> None:
    text = (
        "A security source in Melvar, who asked not to be named because he was not authorised "
        "to speak to the press, said the gunmen had come from the hills."
    )
    names = {c.claimant.name for c in _claims(extractor, text)}
    assert names == {"security source"}


# 2. a document speaks for whoever issued it -------------------------------------------------------
def test_statement_resolves_to_its_issuer_not_to_who_saw_it(extractor: Extractor) -> None:
    text = (
        "The Harbour Workers Front on Monday claimed the blockade of the port of Lisk, in a "
        "statement posted on its channels that the Kestrel Herald has seen.\n\n"
        '"Our members closed the port at dawn and will stay until the wages are paid," the '
        "statement said. The dockers had not been paid since March, the statement added."
    )
    claims = _claims(extractor, text)
    assert "Harbour Workers Front" in _said(claims, "Our members").claimant.name
    assert "Harbour Workers Front" in _said(claims, "not been paid").claimant.name
    assert all("Kestrel Herald" not in c.claimant.name for c in claims)


def test_an_indefinite_document_is_not_the_last_speaker(extractor: Extractor) -> None:
    text = (
        "Minister Ola Renk said the budget was balanced. "
        "A new survey shows that most voters disagree with her."
    )
    claim = _said(_claims(extractor, text), "most voters")
    assert claim.claimant.name != "Ola Renk"


# 3. spokespeople ----------------------------------------------------------------------------------
def test_spokesperson_in_apposition_speaks_with_the_affiliation(extractor: Extractor) -> None:
    text = (
        "The Velorian navy said it had lost no ship.\n\n"
        "Reached by telephone, the navy spokesman, Captain Ilan Dorov, dismissed the rebels' "
        'claim. "Not one vessel was hit," he said.\n\n'
        "Captain Dorov repeated that the patrol had returned to port."
    )
    claims = _claims(extractor, text)
    for words in ("Not one vessel", "the patrol had returned"):
        claimant = _said(claims, words).claimant
        assert claimant.name == "Ilan Dorov"
        assert "navy" in (claimant.affiliation or "")


def test_the_spokesman_is_the_spokesman_named_before(extractor: Extractor) -> None:
    text = (
        '"Two men opened fire and fled," a police spokesman in Kessa, Inspector Hal Merro, '
        "said.\n\nThe spokesman said investigators were questioning three witnesses."
    )
    claimant = _said(_claims(extractor, text), "questioning three witnesses").claimant
    assert claimant.name == "Hal Merro"
    assert claimant.affiliation == "police"


# 4. datelines and descriptions --------------------------------------------------------------------
def test_dateline_place_is_never_a_claimant(extractor: Extractor) -> None:
    # the small model tags the capitalised place ORG: it must not stand in for "the operator"
    text = (
        "VILLA MARENA - Four crew members were rescued on Monday after their trawler sank off "
        "the coast, the operator said.\n\n"
        '"The vessel went down within minutes," the company said in a written message.'
    )
    claims = _claims(extractor, text)
    assert len(claims) == 2
    assert all("marena" not in c.claimant.name.lower() for c in claims)


def test_organisation_introduced_with_its_acronym_is_named_by_it(extractor: Extractor) -> None:
    text = (
        "The Liberation Front of the Osk Valley (FLO) on Tuesday said it had shot down a drone.\n\n"
        "The group said its fighters had suffered no losses."
    )
    claims = _claims(extractor, text)
    assert _said(claims, "shot down a drone").claimant.name == "FLO"
    assert _said(claims, "no losses").claimant.name == "FLO"


def test_a_description_is_not_another_body_of_the_same_kind(extractor: Extractor) -> None:
    text = (
        "The provincial Irrigation department said the canal had burst.\n\n"
        "The provincial health department said 41 people had died in the floods."
    )
    claim = _said(_claims(extractor, text), "41 people")
    assert claim.claimant.name == "provincial health department"
