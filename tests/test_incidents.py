"""Document grouping: look-alike incidents apart, reports of one incident together."""

from __future__ import annotations

from datetime import datetime

from claims.extract import Extractor
from claims.incidents import DocumentGrouper, Profile, primary_incident


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

    from claims.incidents import _absorb_small

    sims = np.full((6, 6), 0.1)
    sims[:3, :3] = sims[3:, 3:] = 0.8
    sims[5, 3:5] = sims[3:5, 5] = 0.5  # the outlier resembles the second part most
    labels = _absorb_small(np.array([1, 1, 1, 2, 2, 3]), sims, min_part=2)
    assert labels.tolist() == [1, 1, 1, 2, 2, 2]
    assert _absorb_small(np.array([1, 1, 2]), sims[:3, :3], min_part=3).tolist() == [1, 1, 1]


def test_incidents_years_are_a_separate_block() -> None:
    from scipy import sparse

    from claims.incidents import _weighted_tfidf

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
