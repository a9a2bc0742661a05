"""PDF text geometry: lines from characters, paragraphs from lines, and the page records the
other PDF modules share.

A line ends a paragraph when the next line's first word would have fitted after it (so a wrapped
line is joined and a short line ends its paragraph); CJK line-breaking rules keep punctuation with
the character before it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median
from typing import Any

# Table finding from ruling lines; tolerances suit Word and LibreOffice exports, whose borders
# are thin filled rectangles or stroked lines, one segment per cell side.
TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 3,
}
# A "table" smaller than this (points, both sides) is a drawn checkbox or a frame, not a table.
MIN_TABLE_SIDE = 20.0
# A drawn checkbox: a square rectangle about one character high (points).
BOX_MIN, BOX_MAX = 4.0, 16.0
# Rendering resolution for OCR and for judging embedded images (dots per inch).
OCR_DPI = 200
IMAGE_DPI = 110
# Share of ink inside a scanned checkbox from which it counts as ticked.
OCR_CHECKBOX_MIN_FILL = 0.06
# The result cache's kind for OCR'd pages (pipeline/cache.py `ResultCache.get_value`).
OCR_PAGE_KIND = "ocr-page"
# An embedded image smaller than this (points, either side) is ignored (bullets, rules).
MIN_IMAGE_PT = 24.0
# An embedded image with more pixels than this is not decoded (a decompression bomb or a poster).
MAX_IMAGE_PIXELS = 60_000_000
# A page without text is a scan when pictures cover at least this share of it (else it is blank).
SCAN_COVER = 0.15
# Longest side of a rendered page or picture (pixels).
MAX_RENDER_SIDE = 4000
# Header/footer band: the top and bottom share of the page where running heads live.
EDGE_BAND = 0.12

PAGE_NUMBER = [
    re.compile(p)
    for p in (
        r"^第\s*[0-9一二三四五六七八九十百]+\s*页\s*[,，/]?\s*(共\s*[0-9一二三四五六七八九十百]+\s*页)?$",
        r"^(共\s*\d+\s*页\s*)?第\s*\d+\s*页$",
        r"^[-—–－]\s*\d{1,4}\s*[-—–－]$",
        r"^\d{1,4}$",
        r"^\d{1,4}\s*/\s*\d{1,4}$",
        r"^(?i:page)\s*\d{1,4}(\s*(?i:of)\s*\d{1,4})?$",
    )
]
# Characters that may not start a line (they pull the previous character down with them) and
# that may not end one (they move to the next line): used to size "the next line's first word".
_NO_LINE_START = set("，。、；：？！）》」』】〕”’…—·,.;:?!)]}%")
_NO_LINE_END = set("（《「『【〔“‘([{")
# A sentence end followed by a list marker, when geometry alone cannot tell a new paragraph.
_SENTENCE_END = set("。！？")
_ITEM_START = re.compile(
    r"^\s*(?:[（(][0-9一二三四五六七八九十]{1,3}[)）]|[0-9]{1,2}[.、．]|[一二三四五六七八九十]{1,3}、)"
)
# A symbol-font box printed in a fallback font (LibreOffice without Wingdings keeps the code: "R",
# "£", "þ", "¨"): a lone Latin-1 character before a CJK label. Read by that font's table only in
# a block that also has a lone non-letter empty-box code of the same font (£ or ¨).
LONE = re.compile(r"(?:(?<=^)|(?<=[\s：:，,；;、]))([\x21-\xff])(?=[ \u3000]?[\u3400-\u9fff])")
SUBSTITUTED_FONTS = ("wingdings2", "wingdings")
# Fonts that carry pictures for the private-use (U+F0xx) codes of Word's symbol fonts.
PUA_FONTS = ("opensymbol", "starsymbol")


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _is_latin(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


@dataclass
class Line:
    """A text line in PDF points (top-left origin), with what a paragraph decision needs."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    first_token_w: float
    page: int
    confidence: float | None = None

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.x0, self.top, self.x1, self.bottom)


@dataclass
class Cell:
    bbox: tuple[float, float, float, float]
    row: int
    col: int
    row_span: int
    col_span: int
    page: int
    lines: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(ln.text.strip() for ln in self.lines)


@dataclass
class TablePart:
    """A table as found on one page: rows of cells (a merged cell appears in its first row)."""

    page: int
    bbox: tuple[float, float, float, float]
    rows: list[list[Cell]]


@dataclass
class PageData:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)  # outside tables
    tables: list[TablePart] = field(default_factory=list)
    images: list[tuple[tuple[float, float, float, float], tuple[int, int], object]] = field(
        default_factory=list
    )
    scanned: bool = False
    # A scanned page's pdfplumber page: the table finder for the rules OCR sees on it (`read_scanned_page`).
    source: Any = field(default=None, repr=False, compare=False)
    ocr_confidence: float | None = None
    ocr_failed: bool = False  # a scanned page OCR could not read (an EXTRACTION_INCOMPLETE problem says so)


# ---------------------------------------------------------------------------------------------
# Lines


def _dedupe(chars: list[dict]) -> list[dict]:
    """Drop characters drawn twice at the same place (fake bold, shadows)."""
    out: list[dict] = []
    for ch in chars:
        if out:
            p = out[-1]
            if p["text"] == ch["text"] and abs(p["x0"] - ch["x0"]) < 1.0 and abs(p["top"] - ch["top"]) < 1.0:
                continue
        out.append(ch)
    return out


def build_lines(chars: list[dict], page: int) -> list[Line]:
    """Characters (pdfplumber dicts) → lines, top to bottom; spaces restored from gaps where needed."""
    if not chars:
        return []
    mids = [(c["top"] + c["bottom"]) / 2 for c in chars]
    rows: list[list[dict]] = []
    row: list[dict] = []
    tops: list[float] = []  # of the current row, beside it: the last 8 decide whether a char joins
    bottoms: list[float] = []
    for i in sorted(range(len(chars)), key=lambda i: (mids[i], chars[i]["x0"])):
        ch, cy = chars[i], mids[i]
        if rows:
            top = min(tops[-8:])
            bottom = max(bottoms[-8:])
            h = bottom - top
            if top + 0.25 * h <= cy <= bottom - 0.25 * h or (ch["text"].isspace() and top <= cy <= bottom):
                row.append(ch)
                tops.append(ch["top"])
                bottoms.append(ch["bottom"])
                continue
        row, tops, bottoms = [ch], [ch["top"]], [ch["bottom"]]
        rows.append(row)
    lines = []
    for row in rows:
        row.sort(key=lambda c: c["x0"])
        row = _dedupe(row)
        line = _line_from_chars(row, page)
        if line is not None:
            lines.append(line)
    return lines


def _line_from_chars(row: list[dict], page: int) -> Line | None:
    ink = [c for c in row if not c["text"].isspace()]
    if not ink:
        return None
    sizes = [c.get("size") or (c["bottom"] - c["top"]) for c in ink]
    size = median(sizes)
    parts: list[str] = []
    prev = None
    for ch in row:
        t = ch["text"]
        if t.isspace():
            if parts:
                parts.append(" ")
            continue
        same_box = prev is not None and prev.get("box", -1) >= 0 and prev.get("box") == ch.get("box")
        if prev is not None and parts and parts[-1] != " " and not same_box:
            gap = ch["x0"] - prev["x1"]
            a, b = prev["text"][-1], t[0]
            if gap > 1.0 * size or (gap > 0.2 * size and not _is_cjk(a) and not _is_cjk(b)):
                parts.append(" ")
        parts.append(t)
        prev = ch
    text = "".join(parts).strip()
    if not text:
        return None
    confs = [c["conf"] for c in ink if "conf" in c]
    first_w = _first_token_width(ink, size)
    if confs:
        # OCR character boxes hug the ink; what has to fit is the advance (the character pitch).
        xs = [c["x0"] for c in ink if _is_cjk(c["text"][0])]
        pitches = [b - a for a, b in zip(xs, xs[1:], strict=False) if 0 < b - a < 2 * size]
        if pitches and _is_cjk(ink[0]["text"][0]):
            first_w = max(first_w, median(pitches) * _first_token_chars(ink, size))
    return Line(
        text=text,
        x0=ink[0]["x0"],
        top=min(c["top"] for c in ink),
        x1=ink[-1]["x1"],
        bottom=max(c["bottom"] for c in ink),
        size=size,
        first_token_w=first_w,
        page=page,
        confidence=round(sum(confs) / len(confs), 3) if confs else None,
    )


def _first_token_width(ink: list[dict], size: float) -> float:
    return ink[_first_token_end(ink, size)]["x1"] - ink[0]["x0"]


def _first_token_chars(ink: list[dict], size: float) -> int:
    return _first_token_end(ink, size) + 1


def _first_token_end(ink: list[dict], size: float) -> int:
    """Index of the last character of the line's first unbreakable piece: what would have had to
    fit at the end of the line above.

    A Latin word is one piece; a CJK character takes along the punctuation that may not start a
    line (系、 件。) and a Latin word glued to that punctuation (系、ISO27001), and an opening
    bracket takes the character after it.
    """

    def word_end(i: int) -> int:
        """A Latin run (AR/VR, 5G, e-mail addresses) is not broken inside, only after a hyphen."""
        while (
            i + 1 < len(ink)
            and (ink[i + 1]["x0"] - ink[i]["x1"]) < 0.2 * size
            and _is_latin(ink[i + 1]["text"][0])
            and ink[i]["text"] != "-"
        ):
            i += 1
        return i

    i = 0
    first = ink[0]["text"]
    if _is_word_char(first[-1]):
        i = word_end(0)
    elif first in _NO_LINE_END and len(ink) > 1:
        i = word_end(1) if _is_word_char(ink[1]["text"][0]) else 1
    while i + 1 < len(ink) and ink[i + 1]["text"] in _NO_LINE_START:
        i += 1
        if (
            i + 1 < len(ink)
            and _is_word_char(ink[i + 1]["text"][0])
            and ink[i + 1]["x0"] - ink[i]["x1"] < 0.2 * size
        ):
            i = word_end(i + 1)
    return i


# ---------------------------------------------------------------------------------------------
# Paragraphs


def paragraphs(lines: list[Line], left: float, right: float) -> list[list[Line]]:
    """Lines of one text column (cell or page body) → paragraphs.

    A line starts a new paragraph when the previous line stopped although the new line's first
    word would have fitted after it, when it is indented against both neighbours (first-line
    indent), when the font size changes, or after a gap clearly larger than the line spacing.
    """
    paras: list[list[Line]] = []
    gaps = [
        b.top - a.bottom
        for a, b in zip(lines, lines[1:], strict=False)
        if b.page == a.page and b.top > a.bottom - 1
    ]
    usual_gap = median(gaps) if len(gaps) >= 3 else None
    # Where the column's running lines start (the commonest left edge): a first-line indent is
    # measured from there, not from a table border further left.
    starts = Counter(round(ln.x0) for ln in lines)
    body = float(starts.most_common(1)[0][0]) if len(lines) >= 3 else left
    for i, ln in enumerate(lines):
        if not paras:
            paras.append([ln])
            continue
        prev = paras[-1][-1]
        if breaks(prev, ln, lines[i + 1] if i + 1 < len(lines) else None, left, right, usual_gap, body):
            paras.append([ln])
        else:
            paras[-1].append(ln)
    return paras


def _centred(ln: Line, left: float, right: float) -> bool:
    """Centred text: equal room on both sides (a full line with a first-line indent is not)."""
    lr, rr = ln.x0 - left, right - ln.x1
    return lr > 0.3 * ln.size and abs(lr - rr) < 0.6 * ln.size


def breaks(
    prev: Line, ln: Line, nxt: Line | None, left: float, right: float, usual_gap: float | None = None,
    body: float | None = None,
) -> bool:
    """Whether `ln` starts a new paragraph after `prev` in a column from `left` to `right`."""
    size = max(prev.size, ln.size)
    room = right - prev.x1
    if room > ln.first_token_w + 0.3 * size:
        return True
    if prev.text[-1:] in _SENTENCE_END and _ITEM_START.match(ln.text):
        return True  # "…内容。" then "（2）…": a full last line, or the marker did not fit; an item starts
    if prev.confidence is None and ln.confidence is None and abs(prev.size - ln.size) > 0.15 * size:
        return True  # a change of font size (OCR box heights vary too much to tell)
    if ln.page == prev.page:
        gap = ln.top - prev.bottom
        if gap > (usual_gap if usual_gap is not None else 0.6 * size) + 0.9 * size:
            return True
    if prev.text[-1:] in _SENTENCE_END and abs(ln.x0 - (left if body is None else body) - 2 * size) < 0.6 * size:
        return True  # a sentence ended, and the line is indented by two characters: a new paragraph
    ends_para = nxt is None or right - ln.x1 > nxt.first_token_w + 0.3 * size
    if ends_para and _centred(ln, left, right):
        return False  # a short centred line looks indented but is not
    if ln.x0 <= left + 0.9 * size:
        return False  # a continuation line starts at the column's left edge
    if ln.x0 > prev.x0 + 0.9 * size:
        return nxt is None or nxt.x0 < ln.x0 - 0.9 * size  # first-line indent against both neighbours
    # Indented like `prev`, which filled the line: `prev` was a one-line paragraph with the same
    # first-line indent, when `ln`'s own paragraph goes on at the left edge.
    return abs(ln.x0 - prev.x0) < 0.5 * size and nxt is not None and nxt.x0 < ln.x0 - 0.9 * size


def join_lines(para: list[Line]) -> str:
    """A paragraph's text: lines joined without a break; a space only between two Latin words."""
    out = para[0].text
    for ln in para[1:]:
        a, b = out[-1:], ln.text[:1]
        if a and b and _is_word_char(a) and _is_word_char(b) and " " in out.rsplit("\n", 1)[-1].strip():
            out += " " + ln.text
        else:
            out += ln.text
    return out


def cell_edges(lines: list[Line], box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Left and right text edges inside a cell: its borders less the padding the text shows."""
    pad = min((ln.x0 - box[0] for ln in lines), default=2.0)
    pad = min(max(pad, 0.5), 8.0)
    return box[0] + pad, max(box[2] - pad, max((ln.x1 for ln in lines), default=box[2]))


def body_edges(pages: list[PageData]) -> tuple[float, float]:
    """Left and right edges of the running text: its own extent, widened to the tables' and to
    the mirror of the left margin (pages with only short lines would otherwise look full)."""
    xs0 = [ln.x0 for p in pages for ln in p.lines] + [t.bbox[0] for p in pages for t in p.tables]
    xs1 = [ln.x1 for p in pages for ln in p.lines] + [t.bbox[2] for p in pages for t in p.tables]
    if not xs0:
        return 0.0, 0.0
    left = min(xs0)
    width = max((p.width for p in pages), default=0.0)
    return left, max(max(xs1), width - left if width > 2 * left else 0.0)
