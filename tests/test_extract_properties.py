"""Property tests: the extractor never raises and every span it returns is a slice of the text."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from claims.extraction.extract import Extractor
from claims.models import Claim, Document, Span

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

QUOTE_CHARS = ["“", "”", '"', "'", "‘", "’", "«", "»"]

arbitrary_text = st.text(
    alphabet=st.one_of(
        st.sampled_from([*QUOTE_CHARS, "\n", " ", ".", ",", ":"]),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=300,
)

SPEAKERS = ["The minister", "she", "officials", "a source", "the army", "It", "Rosa Delgado"]
CUES = ["said", "told reporters", "denied", "added", "was quoted as saying", "warned"]
CLAUSES = [
    "six soldiers died",
    "the talks had failed",
    "that 2,500 people were evacuated on Monday",
    "the port in Kavala was closed",
    "nobody answered",
    "",
]
QUOTE_PAIRS = [("“", "”"), ('"', '"'), ("“", ""), ("", "”"), ("'", "'"), ("‘", "’")]

fragment = st.one_of(
    st.sampled_from(SPEAKERS),
    st.sampled_from(CUES),
    st.sampled_from(CLAUSES),
    st.just("according to"),
    st.sampled_from([*QUOTE_CHARS, ", ", ". ", ": ", "\n", " ", "? "]),
    st.builds(
        lambda pair, clause, end: f"{pair[0]}{clause}{end}{pair[1]}",
        st.sampled_from(QUOTE_PAIRS),
        st.sampled_from(CLAUSES),
        st.sampled_from(["", ",", ".", "?"]),
    ),
)
sentence = st.lists(fragment, min_size=1, max_size=12).map(" ".join)
sentence_like_text = st.lists(
    st.tuples(sentence, st.sampled_from([". ", ".\n", "\n", "\n\n", " ", ""])),
    min_size=1,
    max_size=6,
).map(lambda pairs: "".join(s + sep for s, sep in pairs))


def check_extraction(
    extractor: Extractor, text: str, claim_spans: Callable[[Claim], Iterator[tuple[str, Span]]]
) -> None:
    """Extraction never raises, every span indexes the text, and claim ids are unique."""
    assume(text.strip())
    claims = extractor.run(Document(id="h", text=text))
    ids = [c.id for c in claims]
    assert len(ids) == len(set(ids)), f"duplicate claim ids in {claims}"
    for claim in claims:
        assert claim.document_id == "h"
        for label, span in claim_spans(claim):
            assert 0 <= span.start <= span.end <= len(text), f"{label} out of bounds: {span}"
            assert span.text == text[span.start : span.end], f"{label} text mismatch: {span}"


@SETTINGS
@given(text=arbitrary_text)
@example(text="“")
@example(text='"\n"')
@example(text="He said: “\n\n”")
def test_extract_properties_arbitrary_text(
    extractor: Extractor,
    claim_spans: Callable[[Claim], Iterator[tuple[str, Span]]],
    text: str,
) -> None:
    check_extraction(extractor, text, claim_spans)


@SETTINGS
@given(text=sentence_like_text)
@example(text="The minister was quoted as saying “. ")  # found by Hypothesis
@example(text="The minister said denied “. ")  # found by Hypothesis
@example(text="“Six soldiers died,” the army said, “and two were wounded.”")
def test_extract_properties_sentence_like_text(
    extractor: Extractor,
    claim_spans: Callable[[Claim], Iterator[tuple[str, Span]]],
    text: str,
) -> None:
    check_extraction(extractor, text, claim_spans)
