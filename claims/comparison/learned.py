"""The learned relation scorer: the trained NLI cross-encoder judging claim pairs.

The frames and wording rules state conflicts a person can check (two counts, a denial, who
attacked whom), but they also meet pairs that are merely about the same thing: a dispute search
pairs a denial with the assertion nearest in meaning, which is often not the one it denies. The
model reads both statements together and answers what the rules cannot:

* **veto**: a conflict the model reads as entailment is dropped, whichever wording rule or
  search found it (conflicts between two counts of one frame slot are left to the frames);
* **confirm**: a conflict found only by closeness of meaning (no frame, no parse: the dispute
  search) stands only when the model also sees a contradiction;
* **propose**: two sources' assertions close in meaning that the model reads as contradicting, and
  no rule related, become a `contradiction` conflict — the implicit ones ("the minister was abroad
  that week" against "the minister opened the session"); a denial whose content ("denied that
  the plant leaked") the model reads as the other source's assertion ("the plant leaked") becomes
  a `denial`.

Each pair is read once, longer statement first (the premise side of the training pairs), so the
judgement does not depend on which claim happens to be `a`. Every relation it touches records the
scorer in `Relation.scorer` and the model's score in its reason text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from claims.comparison.nli import NliClassifier, NliScores
from claims.models import Claim, Reason, Relation, RelationType, Stance

FRAMES = "frames"
RULES = "rules"
SIMILARITY = "similarity"
MODEL = "model"


@dataclass(frozen=True)
class LearnedSettings:
    """Thresholds chosen on the shared cases (development data; `claims eval cases`), where the
    model separates true from false conflicts only weakly (ROC AUC 0.42-0.64 by rule): so it
    vetoes only what it reads as clear entailment, proposes only at high contradiction, and
    does not demand confirmation of the dispute search (0.0: confirmation off; 0.3 gave
    recall 0.45 at precision 0.63, against recall 0.63 at precision 0.45 with it off)."""

    # A conflict is dropped when the model gives entailment at least this probability.
    veto_entailment: float = 0.8
    # A conflict found only by closeness of meaning stands when contradiction reaches this.
    confirm_contradiction: float = 0.0
    # A conflict no rule found is proposed at this contradiction probability ...
    propose_contradiction: float = 0.9
    # ... between assertions of different sources at this cosine, `propose_top` sources each.
    # (0.5-0.7 found the same conflicts on the shared cases; 0.7 reads a third fewer pairs)
    propose_similarity: float = 0.7
    propose_top: int = 2
    # A denial ("X denied that ...") against an assertion its content entails at this level.
    propose_entailed_denial: float = 0.8


def _ordered(a: Claim, b: Claim) -> tuple[str, str]:
    """(premise, hypothesis): the longer statement first, as in the training pairs."""
    ta, tb = a.content.text, b.content.text
    return (ta, tb) if (len(ta), ta) >= (len(tb), tb) else (tb, ta)


@dataclass
class LearnedScorer:
    """Stage object around `NliClassifier`; `relate()` makes it a `RelationScorer` on its own."""

    classifier: NliClassifier = field(default_factory=NliClassifier)
    settings: LearnedSettings = field(default_factory=LearnedSettings)
    name: str = MODEL

    def warm_up(self) -> None:
        self.classifier.warm_up()

    def score(self, pairs: Sequence[tuple[Claim, Claim]]) -> list[NliScores]:
        """One batched model call for all pairs."""
        return self.classifier.predict([_ordered(a, b) for a, b in pairs])

    def relate(self, a: Claim, b: Claim, text_a: str, text_b: str) -> Relation | None:
        """The `RelationScorer` protocol: the model alone on one pair."""
        (scores,) = self.score([(a, b)])
        s = self.settings
        if scores.contradiction >= s.propose_contradiction:
            return self._conflict(a, b, scores)
        if scores.entailment >= s.veto_entailment:
            text = (
                f"the model reads {_quote(a)} and {_quote(b)} as saying the same "
                f"(entailment {scores.entailment:.2f})"
            )
            return _model_relation(
                a, b, RelationType.CORROBORATES, "entailment", text, scores.entailment
            )
        return None

    def review(
        self,
        relations: Sequence[Relation],
        claims: Mapping[str, Claim],
        candidates: Iterable[tuple[Claim, Claim]],
    ) -> list[Relation]:
        """Veto and confirm the rules' conflicts, then propose the model's own, in one batch.

        Conflicts found by closeness of meaning alone (`scorer == "similarity"`) need the
        model's confirmation; `candidates` are the pairs the model may add a conflict between.
        """
        s = self.settings
        related = {(r.a, r.b) for r in relations}
        # frame conflicts (two counts of one slot) are read off the values, where the model,
        # trained on whole sentences, sees less than the frames do: it reviews the rest
        # and a denial's content is what it denies ("denied that its fighters attacked the
        # post"): entailment there is the conflict itself, so denials are never vetoed
        conflicts = [
            r
            for r in relations
            if r.type is RelationType.CONFLICTS
            and r.scorer != FRAMES
            and not _one_denies(claims[r.a], claims[r.b])
        ]
        fresh = [
            (a, b) for a, b in candidates if tuple(sorted((a.id, b.id))) not in related and a != b
        ]
        fresh = list({tuple(sorted((a.id, b.id))): (a, b) for a, b in fresh}.values())
        pairs = [(claims[r.a], claims[r.b]) for r in conflicts] + fresh
        scores = self.score(pairs)
        verdict = {(r.a, r.b): sc for r, sc in zip(conflicts, scores, strict=False)}
        out: list[Relation] = []
        for r in relations:
            sc = verdict.get((r.a, r.b))
            if sc is None:
                out.append(r)
                continue
            if sc.entailment >= s.veto_entailment:
                continue
            if r.scorer == SIMILARITY:
                if sc.contradiction < s.confirm_contradiction:
                    continue
                out.append(_confirmed(r, sc))
            else:
                out.append(r)
        for (a, b), sc in zip(fresh, scores[len(conflicts) :], strict=True):
            if _one_denies(a, b):
                if sc.entailment >= s.propose_entailed_denial:
                    out.append(self._denial(a, b, sc))
            elif sc.contradiction >= s.propose_contradiction:
                out.append(self._conflict(a, b, sc))
        return out

    def _denial(self, a: Claim, b: Claim, scores: NliScores) -> Relation:
        """One party denies what the other asserts: the denied content entails the assertion."""
        denier, other = (a, b) if a.stance is Stance.DENIED else (b, a)
        text = (
            f"{denier.claimant.name} denies {_quote(denier)}; {other.claimant.name} says "
            f"{_quote(other)} (the model reads them as the same statement: entailment "
            f"{scores.entailment:.2f})"
        )
        return _model_relation(a, b, RelationType.CONFLICTS, "denial", text, scores.entailment)

    def _conflict(self, a: Claim, b: Claim, scores: NliScores) -> Relation:
        text = (
            f"{a.claimant.name} says {_quote(a)}; {b.claimant.name} says {_quote(b)}: the model "
            f"reads these as contradicting (contradiction {scores.contradiction:.2f})"
        )
        return _model_relation(
            a, b, RelationType.CONFLICTS, "contradiction", text, scores.contradiction
        )


def _model_relation(
    a: Claim, b: Claim, kind: RelationType, code: str, text: str, score: float
) -> Relation:
    return Relation.between(a.id, b.id, kind, code, text, score, scorer=MODEL)


def _one_denies(a: Claim, b: Claim) -> bool:
    return (a.stance is Stance.DENIED) != (b.stance is Stance.DENIED)


def _confirmed(r: Relation, scores: NliScores) -> Relation:
    return r.model_copy(
        update={
            "reason": Reason(
                code=r.reason.code,
                text=f"{r.reason.text} (model: contradiction {scores.contradiction:.2f})",
            ),
            "scorer": f"{r.scorer}+{MODEL}",
        }
    )


def _quote(c: Claim, limit: int = 80) -> str:
    text = " ".join(c.content.text.split())
    return "“" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "”"
