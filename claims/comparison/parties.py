"""One canonical party per speaker across the reports of an incident.

Outlets name the same party differently: "the army", "Mali's army", "the Malian armed forces",
"army spokesman Colonel X", "X"; "the Liberation Front (LF)", "the Front", "LF". Counting sources
and telling an update from a conflict both need to know these are one voice. Resolution here uses
only what the reports themselves say: acronyms defined in the text ("Long Name (LN)"), a
spokesperson's affiliation, a person named beside an institution ("army spokesman, Colonel X"),
and institution words from general English (`INSTITUTIONS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from claims.models import Claim, ClaimKind, Document

# Head words naming one kind of institution, whatever the country adjective before them.
INSTITUTIONS: dict[str, tuple[str, ...]] = {
    "army": ("armed forces", "army", "military", "defence forces", "defense forces", "troops"),
    "police": ("police force", "police", "gendarmerie"),
    "government": ("government", "cabinet", "authorities"),
}
ROLE_WORDS = (
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "official",
    "officials",
    "chief",
    "head",
    "commander",
    "minister",
    "director",
    "representative",
)
_ACRONYM = re.compile(
    r"\b((?:[A-Z][\w'’-]+\s+)(?:(?:of|for|the|and|de|du|des|la|le)\s+|[A-Z][\w'’-]+\s+)*[A-Z][\w'’-]+)\s+\(([A-Z][A-Z0-9]{1,7})\)"
)
_DETERMINERS = {"the", "a", "an"}
# Words that name a kind of body, not one body: "ministry" alone is not "health ministry".
GENERIC_WORDS = frozenset(
    {
        "ministry",
        "group",
        "company",
        "office",
        "department",
        "service",
        "union",
        "council",
        "agency",
        "authority",
        "commission",
        "party",
        "association",
        "committee",
        "court",
        "government",
        "police",
        "army",
        "official",
        "officials",
        "spokesman",
        "spokeswoman",
        "residents",
        "witness",
        "witnesses",
        "source",
        "sources",
        "regional",
        "state",
        "national",
        "local",
        "district",
        "city",
        "federal",
        "provincial",
        "health",
        "interior",
    }
)


class PartyResolver:
    """Maps claimant names of one incident's claims to a canonical party key."""

    def __init__(self, documents: Sequence[Document], claims: Sequence[Claim]) -> None:
        self._aliases: dict[str, str] = {}
        self._possessives: dict[str, str] = {}
        for doc in documents:
            for long, short in _ACRONYM.findall(doc.text):
                canon = _normal(long)
                self._aliases[_normal(short)] = canon
                words = canon.split()
                if len(words) >= 2:
                    # "the Front" after "the Liberation Front of X": the head noun
                    head = next((w for w in reversed(words[: _of_index(words)]) if w), None)
                    if head:
                        self._aliases.setdefault(head, canon)
        for claim in claims:
            c = claim.claimant
            if c.affiliation and c.name:
                self._aliases.setdefault(_normal(c.name), self.key(c.affiliation))
        self._merge_partial_names(claims)
        self._merge_possessives(claims)
        texts = {d.id: d.text for d in documents}
        for claim in claims:
            name = claim.claimant.name
            if claim.claimant.type.value != "person" or _normal(name) in self._aliases:
                continue
            role = _role_near(texts.get(claim.document_id, ""), name)
            if role is not None:
                self._aliases[_normal(name)] = role

    def _merge_partial_names(self, claims: Sequence[Claim]) -> None:
        """ "Balagtas" after "Teodora Balagtas", "Aldermoor" after "Aldermoor Pharma": a name
        whose words begin or end a longer name of the incident is that party (a surname, a
        company's short name). Generic words alone ("ministry", "group") never merge."""
        keys = {
            self.key(c.claimant.affiliation or c.claimant.name) for c in claims if c.claimant.name
        }
        longer = sorted(keys, key=lambda k: -len(k.split()))
        for short in sorted(keys, key=lambda k: len(k.split())):
            words = short.split()
            if not words or all(w in GENERIC_WORDS for w in words):
                continue
            for long in longer:
                lw = long.split()
                if len(lw) <= len(words):
                    break
                if lw[: len(words)] == words or lw[-len(words) :] == words:
                    self._aliases.setdefault(short, self._aliases.get(long, long))
                    break

    def _merge_possessives(self, claims: Sequence[Claim]) -> None:
        """ "Tarsenia's service" after "the Tarsenian Border Service": an owner's name and a head
        word that a longer name of the incident begins and ends with (the owner's stem, the
        same head) are that party; "Ulvaria's service" stays apart from it."""
        keys = {
            self.key(c.claimant.affiliation or c.claimant.name) for c in claims if c.claimant.name
        }
        for claim in claims:
            for name in (claim.claimant.affiliation, claim.claimant.name):
                m = _POSSESSIVE.match(name or "")
                if m is None:
                    continue
                owner, head = m.group(1).lower(), _normal(m.group(2)).split()
                if not head:
                    continue
                for k in sorted(keys, key=len, reverse=True):
                    kw = k.split()
                    if (
                        len(kw) > len(head)
                        and kw[-len(head) :] == head
                        and _same_stem(kw[0], owner)
                    ):
                        self._possessives[_raw(name or "")] = self._aliases.get(k, k)
                        break

    def key(self, name: str) -> str:
        """The party a name stands for, as a lower-case key."""
        if (owned := self._possessives.get(_raw(name))) is not None:
            return owned
        norm = _normal(name)
        if norm in self._aliases:
            return self._aliases[norm]
        for canon, heads in INSTITUTIONS.items():
            if any(re.search(rf"\b{re.escape(h)}\b", norm) for h in heads):
                return canon
        words = [w for w in norm.split() if w not in ROLE_WORDS]
        stripped = " ".join(words)
        if stripped and stripped != norm:
            return self._aliases.get(stripped, stripped)
        return norm

    def claim_party(self, claim: Claim) -> str | None:
        """The party behind an attributed, named claim; None for the reporter or anonymity."""
        c = claim.claimant
        if claim.kind is ClaimKind.UNATTRIBUTED or c.anonymous or not c.name:
            return None
        return self.key(c.affiliation or c.name)

    def names(self) -> Iterable[tuple[str, str]]:
        return self._aliases.items()


def _role_near(text: str, name: str) -> str | None:
    """ "the army spokesman, Colonel X" / "X, a police spokeswoman": the institution a named
    person speaks for, read from the words right around the name."""
    for m in re.finditer(re.escape(name), text):
        around = text[max(0, m.start() - 60) : m.start()] + " | " + text[m.end() : m.end() + 60]
        low = around.lower()
        if not any(re.search(rf"\b{r}\b", low) for r in ROLE_WORDS):
            continue
        for canon, heads in INSTITUTIONS.items():
            if any(re.search(rf"\b{re.escape(h)}\b", low) for h in heads):
                return canon
    return None


_POSSESSIVE = re.compile(r"^(?:the\s+)?([A-Z][\w-]+)['’]s\s+(.+)$")


def _raw(name: str) -> str:
    return " ".join(name.lower().replace("’", "'").split())


def _same_stem(a: str, b: str) -> bool:
    """ "tarsenian" / "tarsenia", "malian" / "mali": one name with a suffix."""
    shorter = min(len(a), len(b))
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
    return shorter >= 3 and common >= max(3, shorter - 2)


def _of_index(words: list[str]) -> int:
    return words.index("of") if "of" in words else len(words)


def _normal(name: str) -> str:
    text = name.lower().replace("’", "'")
    text = re.sub(r"\b\w+'s\b", " ", text)  # "Mali's army" -> "army"
    words = [w for w in re.findall(r"[\w-]+", text) if w not in _DETERMINERS]
    return " ".join(words)
