"""The cue lexicon, loaded from `claims/data/cues.json` so linguists can edit it without code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Lexicon:
    speech_verbs: frozenset[str]
    cognition_verbs: frozenset[str]
    evidence_verbs: frozenset[str]
    stance_verbs: frozenset[str]
    stance_predicates: frozenset[str]
    needs_complement: frozenset[str]
    raising_passives: frozenset[str]
    denial_verbs: frozenset[str]
    source_phrases: tuple[tuple[str, ...], ...]
    statement_nouns: frozenset[str]
    anonymous_heads: frozenset[str]
    spokesperson_heads: frozenset[str]
    group_heads: frozenset[str]
    titles: frozenset[str]
    section_labels: frozenset[str]

    @property
    def cue_verbs(self) -> frozenset[str]:
        return self.speech_verbs | self.cognition_verbs | self.evidence_verbs | self.stance_verbs


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    raw = json.loads(resources.files("claims.data").joinpath("cues.json").read_text("utf-8"))

    def words(key: str) -> frozenset[str]:
        return frozenset(str(w).lower() for w in raw[key])

    return Lexicon(
        speech_verbs=words("speech_verbs"),
        cognition_verbs=words("cognition_verbs"),
        evidence_verbs=words("evidence_verbs"),
        stance_verbs=words("stance_verbs"),
        stance_predicates=words("stance_predicates"),
        needs_complement=words("needs_complement"),
        raising_passives=words("raising_passives"),
        denial_verbs=words("denial_verbs"),
        source_phrases=tuple(tuple(p.lower().split()) for p in raw["source_phrases"]),
        statement_nouns=words("statement_nouns"),
        anonymous_heads=words("anonymous_heads"),
        spokesperson_heads=words("spokesperson_heads"),
        group_heads=words("group_heads"),
        titles=words("titles"),
        section_labels=words("section_labels"),
    )
