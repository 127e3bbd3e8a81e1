"""Document grouping: look-alike incidents apart, reports of one incident together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from claims.comparison.incidents import DocumentGrouper, Profile, primary_incident
from claims.extraction.extract import Extractor


def _profiles(extractor: Extractor, texts: list[str]) -> list[Profile]:
    return [Profile.from_doc(doc) for doc in extractor.nlp.pipe(texts)]


QUAKE_2009 = [
    "A magnitude 6.1 earthquake struck off Sumatra on Tuesday, killing 12 people in Padang, "
    "officials said. The 2009 quake damaged hundreds of homes in Padang.",
    "Rescuers in Padang searched collapsed homes after Tuesday's 6.1 earthquake off Sumatra. "
    "The death toll rose to 12, West Sumatra officials said in 2009.",
    "The 6.1 quake that hit Padang on Tuesday was felt across Sumatra; 12 people died, "
    "the 2009 disaster agency report said.",
]
QUAKE_2013 = [
    "A magnitude 6.1 earthquake hit Aceh province on Tuesday, killing 22 people in Bener Meriah, "
    "the disaster agency said in 2013.",
    "Landslides after the 6.1 earthquake in Aceh buried villages in Bener Meriah; 22 were dead, "
    "officials said in 2013.",
    "Survivors of the Aceh earthquake in Bener Meriah sheltered in tents; "
    "the 2013 quake killed 22.",
]
FERRY = [
    "A ferry ran aground off Lura Island and all 212 passengers were rescued by the coast guard.",
]


def test_incidents_separate_look_alike_incidents(extractor: Extractor) -> None:
    labels = DocumentGrouper().run(_profiles(extractor, QUAKE_2009 + QUAKE_2013 + FERRY))
    assert len(set(labels[:3])) == 1
    assert len(set(labels[3:6])) == 1
    assert labels[0] != labels[3]
    assert labels[6] not in labels[:6]


def test_incidents_publication_dates_far_apart_do_not_merge(extractor: Extractor) -> None:
    texts = QUAKE_2009 + QUAKE_2009[:2]
    docs = list(extractor.nlp.pipe(texts))
    dates = [datetime(2009, 9, 30)] * 3 + [datetime(2012, 9, 30)] * 2
    profiles = [Profile.from_doc(d, when) for d, when in zip(docs, dates, strict=True)]
    labels = DocumentGrouper().run(profiles)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] != labels[0]


def test_incidents_empty_input() -> None:
    assert DocumentGrouper().run([]) == []


def test_incidents_primary_incident_is_the_majority() -> None:
    assert primary_incident([2, 1, 2], fallback=0) == 2
    assert primary_incident([1, 2], fallback=0) == 1  # ties: the smallest label
    assert primary_incident([], fallback=7) == 7


def test_incidents_small_parts_are_absorbed_not_split_off() -> None:
    import numpy as np

    from claims.comparison.incidents import _absorb_small

    sims = np.full((6, 6), 0.1)
    sims[:3, :3] = sims[3:, 3:] = 0.8
    sims[5, 3:5] = sims[3:5, 5] = 0.5  # the outlier resembles the second part most
    labels = _absorb_small(np.array([1, 1, 1, 2, 2, 3]), sims, min_part=2)
    assert labels.tolist() == [1, 1, 1, 2, 2, 2]
    assert _absorb_small(np.array([1, 1, 2]), sims[:3, :3], min_part=3).tolist() == [1, 1, 1]


def test_incidents_years_are_a_separate_block() -> None:
    from scipy import sparse

    from claims.comparison.incidents import _weighted_tfidf

    profiles = [
        Profile(("quake",), ("padang",), ("2009", "12")),
        Profile(("quake",), ("padang",), ("2013", "12")),
    ]
    plain = _weighted_tfidf(profiles, (1.0, 1.0, 1.0))
    with_years = _weighted_tfidf(profiles, (1.0, 1.0, 1.0), year_weight=0.5)
    assert with_years.shape[1] == plain.shape[1] + 2  # the two years, once more

    def sim(m: sparse.csr_matrix) -> float:
        return float((m[0] @ m[1].T).toarray()[0, 0])

    assert sim(with_years) < sim(plain)


def test_incidents_profile_lead_is_the_first_sentences(extractor: Extractor) -> None:
    from claims.comparison.incidents import LEAD_SENTENCES, profile_from_dict, profile_to_dict

    sentences = [
        "Pirates boarded the tanker Maris Dawn in the Gulf of Aden.",
        "The crew of 19 locked themselves in the engine room.",
        "A navy frigate answered the distress call.",
        "Insurers said premiums for the route would rise again.",
    ]
    assert LEAD_SENTENCES == 3
    (doc,) = _profiles(extractor, [" ".join(sentences)])
    assert {"pirate", "tanker", "crew", "frigate"} <= set(doc.lead)
    assert "insurer" in doc.lemmas
    assert "insurer" not in doc.lead
    assert profile_from_dict(profile_to_dict(doc)) == doc
    old = profile_to_dict(doc)
    del old["lead"]  # profiles stored before the lead block existed still load
    assert profile_from_dict(old).lead == ()


def test_incidents_small_part_sharing_nothing_with_the_rest_is_kept() -> None:
    """A pair cut off from a group is absorbed only if each of its documents is pulled to the
    part it would join: a round-up plus the lone report of another event stay apart."""
    import numpy as np

    from claims.comparison.incidents import _absorb_small

    sims = np.full((6, 6), 0.3)
    sims[4:, 4:] = 0.6  # the pair is closer to each other than to the rest ...
    np.fill_diagonal(sims, 1.0)
    labels = np.array([1, 1, 1, 1, 2, 2])
    # ... but both of its documents share the rest's vocabulary: a fragment, absorbed
    assert _absorb_small(labels, sims, min_part=3, min_pull=0.1).tolist() == [1] * 6
    sims[5, :4] = sims[:4, 5] = 0.01  # the second document shares (almost) nothing with them
    assert _absorb_small(labels, sims, min_part=3, min_pull=0.1).tolist() == [1, 1, 1, 1, 2, 2]
    assert _absorb_small(labels, sims, min_part=3, min_pull=0.0).tolist() == [1] * 6


class _SplitsWhenMinPartIsTwo(DocumentGrouper):
    """Stage 2 stubbed: documents 0-2 and 3-5 are cut apart only when `min_part` is 2 (or, for
    `always`, under every setting), so the vote between the settings can be checked."""

    always = False

    def _split(
        self, profiles: Sequence[Profile], overall: Any, depth: int = 0, memo: Any = None
    ) -> list[int]:
        if self.always or self.settings.min_part == 2:
            return [0, 0, 0, 1, 1, 1]
        return [0] * 6


class _AlwaysSplits(_SplitsWhenMinPartIsTwo):
    always = True


def test_incidents_stage_two_is_a_vote_between_neighbouring_settings() -> None:
    import numpy as np

    from claims.comparison.incidents import GroupingSettings

    profiles = [Profile((), (), ())] * 6
    overall = np.ones((6, 6))
    one_setting = GroupingSettings(consensus_silhouette_step=0.0, consensus_min_part_extra=0)
    assert _SplitsWhenMinPartIsTwo(one_setting)._consensus_split(profiles, overall) == [
        0, 0, 0, 1, 1, 1
    ]  # fmt: skip
    # half the settings (min_part 2 and 3) cut: not a majority, the documents stay together
    assert _SplitsWhenMinPartIsTwo()._consensus_split(profiles, overall) == [0] * 6
    strict = _SplitsWhenMinPartIsTwo(GroupingSettings(consensus_agreement=0.6))
    assert strict._consensus_split(profiles, overall) == [0, 0, 0, 1, 1, 1]
    assert _AlwaysSplits()._consensus_split(profiles, overall) == [0, 0, 0, 1, 1, 1]


PIRATES_2009 = [
    "Somali pirates seized the Danish freighter Nordic Star in the Gulf of Aden on Monday "
    "and took its 14 crew hostage, the 2009 shipping bulletin said.",
    "The Nordic Star, a Danish freighter, was hijacked by Somali pirates in the Gulf of Aden; "
    "its 14 sailors are held off Eyl, the owners said in 2009.",
    "Pirates holding the Nordic Star and its 14 crew anchored the freighter off Eyl, "
    "a 2009 naval report on the Gulf of Aden said.",
]
PIRATES_2013 = [
    "Pirates attacked the Greek tanker Hellas Wave in the Gulf of Aden on Monday; "
    "guards on board fired warning shots and its 23 crew are safe, officials said in 2013.",
    "The Hellas Wave, a Greek tanker, fought off a pirate skiff in the Gulf of Aden in 2013; "
    "the 23 crew were unhurt.",
    "Armed guards repelled pirates who tried to board the Greek tanker Hellas Wave "
    "in the Gulf of Aden, its 23 crew said in 2013.",
]


def test_incidents_two_pirate_attacks_in_one_gulf_years_apart(extractor: Extractor) -> None:
    labels = DocumentGrouper().run(_profiles(extractor, PIRATES_2009 + PIRATES_2013))
    assert len(set(labels[:3])) == 1
    assert len(set(labels[3:])) == 1
    assert labels[0] != labels[3]


FIRE_2016 = [
    "A fire tore through the Brannock textile mill in Dunmore on Tuesday, killing four workers, "
    "the county fire chief said. Forty firefighters fought the 2016 blaze for six hours.",
    "Four workers died when fire swept the Brannock mill in Dunmore on Tuesday; the blaze "
    "started in a dye shed, fire chief Ola Medina said. The mill employs 300 people.",
    "Dunmore mourned four mill workers on Wednesday after Tuesday's fire at the Brannock "
    "textile mill. Fire chief Ola Medina said the cause was under investigation.",
    "The Brannock mill fire in Dunmore killed four, the 2016 county report said. "
    "Firefighters from three towns battled the blaze in the dye shed.",
    "Fire at the Brannock textile mill in Dunmore killed four workers on Tuesday. "
    "Inspectors had cited Brannock in 2011 and 2013 for blocked exits and faulty wiring, "
    "and a union steward said complaints about the wiring were ignored for years.",
    "Four people died in Tuesday's fire at the Brannock mill in Dunmore. "
    "State inspectors cited the company for blocked exits in 2011 and for faulty wiring in "
    "2013; the union said its wiring complaints went unanswered.",
]
FIRE_2019 = [
    "A fire at the Keswick paper mill in Orland killed two workers on Friday, the 2019 "
    "fire department statement said. The blaze began in a boiler room.",
    "Two workers were killed when fire broke out in the boiler room of the Keswick mill in "
    "Orland on Friday, fire captain Ruth Abara said in 2019.",
    "Orland firefighters put out a fire at the Keswick paper mill that killed two workers; "
    "captain Ruth Abara said the boiler room was destroyed.",
    "The Keswick mill fire in Orland left two dead on Friday, the 2019 report said; "
    "the mill will stay shut for a month.",
]


def test_incidents_reports_wandering_into_background_stay_with_their_incident(
    extractor: Extractor,
) -> None:
    """Two reports of the 2016 mill fire spend half their text on the same inspection history:
    still the 2016 fire, not a third incident, and apart from the look-alike 2019 fire."""
    labels = DocumentGrouper().run(_profiles(extractor, FIRE_2016 + FIRE_2019))
    assert len(set(labels[:6])) == 1
    assert len(set(labels[6:])) == 1
    assert labels[0] != labels[6]


SHOOT_A = [
    "A gunman killed three people at the Lindqvist Insurance office in Harwick on Monday "
    "before police arrested him, Harwick police chief Dana Okoro said.",
    "Police in Harwick arrested a former employee after three people were shot dead at the "
    "Lindqvist Insurance office on Monday, chief Dana Okoro said.",
    "Three employees of Lindqvist Insurance were killed in Monday's office shooting in Harwick; "
    "the suspect, a 41-year-old former worker, is in custody.",
]
SHOOT_B = [
    "Five people were wounded when a man opened fire at the Corvell Logistics office in "
    "Tamsin on Thursday; he was shot by officers, Tamsin police said.",
    "A gunman wounded five workers at the Corvell Logistics office in Tamsin on Thursday "
    "before officers shot him, police spokesman Ivo Brandt said.",
    "Tamsin police said the man who wounded five at Corvell Logistics on Thursday had been "
    "fired a week earlier; spokesman Ivo Brandt said he died in hospital.",
]


def test_incidents_two_office_shootings_stay_apart(extractor: Extractor) -> None:
    labels = DocumentGrouper().run(_profiles(extractor, SHOOT_A + SHOOT_B))
    assert labels == [labels[0]] * 3 + [labels[3]] * 3
    assert labels[0] != labels[3]
