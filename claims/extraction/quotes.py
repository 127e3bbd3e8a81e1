"""Find quotations as character spans, the way news copy actually uses quote marks.

Parsers see quote marks as punctuation tokens and lose track of them across sentences, so quotes are
found on the raw text first. Rules that matter in news copy:

- curly marks say which side they are on; straight marks are judged by their neighbours;
- a quote left open at the end of a paragraph continues if the next paragraph opens with a quote
  mark (the convention for multi-paragraph quotes), otherwise it is closed at the paragraph's end
  (unbalanced input never raises);
- two apostrophes, the double quote of some archives (typewriter and TeX-style copy), are a
  straight double mark;
- single curly quotes (‘…’, headline style) are quotes only when ‘ opens a word and a ’ that is
  not an apostrophe (not followed by a letter or digit) closes them in the same paragraph: ’ is
  also the apostrophe, so an unclosed ‘ is never a quote;
"""

from __future__ import annotations

from dataclasses import dataclass

OPENERS = {"“", "«", "„"}
CLOSERS = {"”", "»"}
STRAIGHT = '"'
TWO_APOSTROPHES = "''"
SINGLE_OPEN, SINGLE_CLOSE = "‘", "’"


@dataclass(frozen=True)
class Quote:
    """A quotation `[start, end)` including its marks; `closed` is False for an unbalanced one."""

    start: int
    end: int
    closed: bool = True

    def inner(self, text: str) -> str:
        return text[self.start : self.end].strip("“”«»„‘’\"' \n")


def _straight_width(text: str, i: int) -> int:
    """Width of a straight double mark at ``i``: 1 for a double quote, 2 for two apostrophes."""
    if text[i] == STRAIGHT:
        return 1
    if text.startswith(TWO_APOSTROPHES, i) and not text.startswith("'" * 3, i):
        return 2
    return 0


def _straight_opens(text: str, i: int, width: int = 1) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + width] if i + width < len(text) else " "
    if before.isspace() or before in "([{—–-:,;":
        return not after.isspace()
    return False


def _paragraph_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end == -1 else end


def _next_paragraph_opens_quote(text: str, para_end: int) -> int | None:
    """Index just past the opening mark of the next paragraph, if it starts with one."""
    j = para_end
    while j < len(text) and text[j].isspace():
        j += 1
    if j < len(text) and text[j] in OPENERS:
        return j + 1
    if j < len(text) and (width := _straight_width(text, j)):
        return j + width
    return None


def _single_quote(text: str, i: int) -> Quote | None:
    """`‘crazy system’` at ``i``, or None when ‘ does not open a word or nothing closes it."""
    before = text[i - 1] if i > 0 else " "
    if not (before.isspace() or before in "([{—–-:,;") or i + 1 >= len(text):
        return None
    if text[i + 1].isspace():
        return None
    end = _paragraph_end(text, i)
    j = text.find(SINGLE_CLOSE, i + 1, end)
    while j != -1:
        after = text[j + 1] if j + 1 < len(text) else " "
        if not after.isalnum():
            return Quote(i, j + 1, True) if j > i + 1 else None
        j = text.find(SINGLE_CLOSE, j + 1, end)
    return None


def find_quotes(text: str) -> list[Quote]:
    """All top-level quotations in `text`, in order, never overlapping."""
    quotes: list[Quote] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == SINGLE_OPEN:
            single = _single_quote(text, i)
            if single is not None:
                quotes.append(single)
                i = single.end
            else:
                i += 1
            continue
        straight = ch not in OPENERS
        width = 1 if not straight else _straight_width(text, i)
        if width == 0 or (straight and not _straight_opens(text, i, width)):
            i += 1
            continue
        start = i
        j = i + width
        closed = False
        while j < n:
            c = text[j]
            if c in CLOSERS:
                closed = True
                j += 1
                break
            close_width = _straight_width(text, j)
            if close_width and not _straight_opens(text, j, close_width):
                closed = True
                j += close_width
                break
            if c in OPENERS and straight:
                break
            if c == "\n":
                nxt = _next_paragraph_opens_quote(text, j)
                if nxt is None:
                    break
                j = nxt  # the quote continues in the next paragraph
                continue
            j += max(close_width, 1)
        end = j
        # trim a quote that stopped at a paragraph end back to its last non-space character
        if not closed:
            while end > start + 1 and text[end - 1].isspace():
                end -= 1
        if end - start > width:
            quotes.append(Quote(start, end, closed))
        i = max(end, i + 1)
    return quotes
