"""PDF backend: text PDFs with pdfplumber, scanned pages with OCR, seals from page images.

One pass per page collects characters (with font names and positions), ruling lines and small
rectangles, and finds the form's table from the ruling lines once. Characters are then placed in
table cells or in the running text outside tables, grouped into lines, and lines into paragraphs
by geometry (a line ends a paragraph when the next line's first word would have fitted after it).
Tables that continue on the next page are chained, and a row split by the page break is merged
back into one row, so the shared field logic sees one cell per logical cell, as from a DOCX.
Page headers, footers and page numbers are dropped. Checkboxes (symbol-font glyphs, private-use
code points, boxes drawn as rectangles, form-field widgets) become ☑/☐ inline.

Pages with no text layer are rendered with pypdfium2 and read by OCR (see `ocr.py`); their seals
and the seals on images embedded in text pages are found by `seal.py`.
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from ..model import Block, FileProblem, ImageInfo, Layout, Note, Provenance
from . import checkbox
from .ocr import fix_text as ocr_fix_text

log = logging.getLogger(__name__)

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
_MIN_TABLE_SIDE = 20.0
# A drawn checkbox: a square rectangle about one character high (points).
_BOX_MIN, _BOX_MAX = 4.0, 16.0
# Rendering resolution for OCR and for judging embedded images (dots per inch).
OCR_DPI = 200
IMAGE_DPI = 110
# Share of ink inside a scanned checkbox from which it counts as ticked.
OCR_CHECKBOX_MIN_FILL = 0.06
# An embedded image smaller than this (points, either side) is ignored (bullets, rules).
_MIN_IMAGE_PT = 24.0
# An embedded image with more pixels than this is not decoded (a decompression bomb or a poster).
_MAX_IMAGE_PIXELS = 60_000_000
# A page without text is a scan when pictures cover at least this share of it (else it is blank).
_SCAN_COVER = 0.15
# Longest side of a rendered page or picture (pixels).
_MAX_RENDER_SIDE = 4000
# Header/footer band: the top and bottom share of the page where running heads live.
_EDGE_BAND = 0.12

_PAGE_NUMBER = [
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
_LONE = re.compile(r"(?:(?<=^)|(?<=[\s：:，,；;、]))([\x21-\xff])(?=[ \u3000]?[\u3400-\u9fff])")
_SUBSTITUTED_FONTS = ("wingdings2", "wingdings")
# Fonts that carry pictures for the private-use (U+F0xx) codes of Word's symbol fonts.
_PUA_FONTS = ("opensymbol", "starsymbol")


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
    # A scanned page's pdfplumber page: the table finder for the rules OCR sees on it (`_read_scan`).
    source: Any = field(default=None, repr=False, compare=False)
    ocr_confidence: float | None = None
    ocr_failed: bool = False  # a scanned page OCR could not read (an EXTRACTION_INCOMPLETE problem says so)


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def restart(self) -> None:
        self.end = time.monotonic() + self.seconds

    def check(self) -> None:
        from .errors import ExtractionError

        if time.monotonic() > self.end:
            raise ExtractionError("FILE_UNREADABLE", f"PDF 解析超时（超过 {self.seconds:.0f} 秒），已放弃")


# ---------------------------------------------------------------------------------------------
# Opening


def _open(path: Path):
    """pdfplumber's PDF, trying the empty user password as viewers do; errors become problems."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    from .errors import ExtractionError

    fh = open(path, "rb")  # noqa: SIM115 - closed with the PDF
    try:
        pdf = pdfplumber.PDF(fh, path=path, password="")
    except PdfminerException as exc:
        fh.close()
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect):
            raise ExtractionError("FILE_ENCRYPTED", "PDF 已设置打开密码，无法读取内容") from None
        if isinstance(cause, PDFEncryptionError):
            raise ExtractionError("FILE_ENCRYPTED", f"PDF 使用了不支持的加密方式：{cause}") from None
        raise ExtractionError("FILE_UNREADABLE", f"PDF 文件已损坏或不完整：{_short(cause)}") from None
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        fh.close()
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is an unreadable file
        fh.close()
        raise ExtractionError("FILE_UNREADABLE", f"PDF 文件已损坏或不完整：{_short(exc)}") from None
    pdf.stream_is_external = False
    return pdf


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:160]


# ---------------------------------------------------------------------------------------------
# Characters: symbol fonts, drawn boxes, widgets


def _decode_chars(chars: list[dict], page_no: int, notes: list[Note], file: str) -> list[dict]:
    """Characters with symbol-font checkboxes decoded to ☑/☐/√; undecidable ones noted and dropped.

    A symbol font's code is read through checkbox.py's table of that font. A character the PDF
    already maps to real Unicode (✓ in ZapfDingbats, α in Symbol) is text and kept as it is.
    """
    out = []
    noted: set[tuple[str, int]] = set()

    def note(kind: str, font: str | None, cp: int, ch: dict) -> None:
        if (_font_label(font), cp) in noted:
            return
        noted.add((_font_label(font), cp))
        notes.append(
            Note(
                f"第{page_no}页{kind}（字体 {_font_label(font)}，编码 U+{cp:04X}），请人工核对",
                Provenance(file, page=page_no, bbox=_bbox(ch)),
            )
        )

    keys: dict[str | None, str | None] = {}  # font name → symbol-font table key
    for ch in chars:
        text = ch["text"]
        if not text:
            continue
        font = ch.get("fontname")
        key = keys[font] if font in keys else keys.setdefault(font, checkbox.font_key(font))
        if key is None and (len(text) != 1 or not 0xE000 <= ord(text) <= 0xF8FF):
            out.append(ch)  # text in a text font, nearly every character: kept as it is (see below)
            continue
        cp = None
        if text.startswith("(cid:") and text.endswith(")") and key is not None:
            cp = int(text[5:-1]) if text[5:-1].isdigit() else None
        elif len(text) == 1:
            cp = ord(text)
        if cp is None:
            out.append(ch)
            continue
        pua = 0xE000 <= cp <= 0xF8FF
        if pua and key is None and not _draws_pua(font):
            # A text font has no picture for a symbol code: the page shows a blank "missing glyph"
            # box whatever the code, and converters map several codes onto that one glyph.
            note("有符号字体缺失的复选框，页面上显示为缺字方框，无法判断是否勾选", font, cp, ch)
            continue
        if not pua and (key is None or cp > 0xFF):
            out.append(ch)
            continue
        meaning = checkbox.decode_symbol(font, cp)
        if meaning is not None:
            out.append(dict(ch, text=meaning))
        elif key == "symbol" and not pua:
            out.append(ch)  # Symbol is also Greek letters and maths signs: text, not a box
        else:
            note("有无法识别的符号，可能是复选框", font, cp, ch)
    return out


def _draws_pua(font: str | None) -> bool:
    """Fonts that draw Wingdings' private-use codes (LibreOffice re-maps symbol fonts onto them)."""
    name = _font_label(font).lower().replace(" ", "")
    return any(name.startswith(f) for f in _PUA_FONTS)


def _font_label(font: str | None) -> str:
    return re.sub(r"^[A-Z]{6}\+", "", font or "?")


def _bbox(obj: dict) -> tuple[float, float, float, float]:
    return (round(obj["x0"], 2), round(obj["top"], 2), round(obj["x1"], 2), round(obj["bottom"], 2))


def _synthetic(glyph: str, x0: float, top: float, x1: float, bottom: float) -> dict:
    return {
        "text": glyph,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "size": bottom - top,
        "fontname": "",
    }


def _inside(obj: dict, box: tuple[float, float, float, float], margin: float = 0.5) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return box[0] - margin <= cx <= box[2] + margin and box[1] - margin <= cy <= box[3] + margin


_MARK_CHARS = set("√✓✔×xX✗✘") | checkbox.TICK_GLYPHS


def _drawn_boxes(page, chars: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Squares drawn as rectangles about a character high → ☑/☐ chars; a tick/cross inside checks it.

    Returns (synthetic box chars, chars that were marks inside a box and are consumed, the squares).
    """
    rects = page.rects
    squares = []
    for r in rects:
        w, h = r["x1"] - r["x0"], r["bottom"] - r["top"]
        if _BOX_MIN <= w <= _BOX_MAX and _BOX_MIN <= h <= _BOX_MAX and abs(w - h) <= 0.2 * max(w, h) + 0.5:
            squares.append(r)
    if not squares:
        return [], [], []
    marks = page.lines + page.curves
    boxes, consumed = [], []
    seen: list[tuple[float, float, float, float]] = []
    for sq in sorted(squares, key=lambda r: -(r["x1"] - r["x0"])):
        box = (sq["x0"], sq["top"], sq["x1"], sq["bottom"])
        if any(_inside(sq, b, 0) for b in seen):
            continue  # an inner square of a ▣ drawn box: part of the outer one
        seen.append(box)
        inner_rects = [
            r
            for r in rects
            if r is not sq and r["x1"] - r["x0"] < 0.9 * (box[2] - box[0]) and _inside(r, box, 0)
        ]
        filled = bool(sq.get("fill")) and not _is_white(sq.get("non_stroking_color")) and not sq.get("stroke")
        ticked = [c for c in chars if c["text"] in _MARK_CHARS and _inside(c, box, 1.0)]
        drawn = any(_inside(m, box, 0.5) and (m["x1"] - m["x0"]) < 1.5 * (box[2] - box[0]) for m in marks)
        checked = filled or bool(inner_rects) or bool(ticked) or drawn
        consumed.extend(ticked)
        boxes.append(_synthetic(checkbox.CHECKED if checked else checkbox.UNCHECKED, *box))
    return boxes, consumed, squares


def _is_white(color) -> bool:
    if color is None:
        return True
    if isinstance(color, (int, float)):
        return color >= 0.95
    vals = list(color)
    if len(vals) == 1:
        return vals[0] >= 0.95
    if len(vals) == 3:
        return min(vals) >= 0.95
    if len(vals) == 4:  # CMYK
        return max(vals) <= 0.05
    return False


def _widget_boxes(page) -> list[dict]:
    """Form-field checkboxes (widget annotations with an on/off appearance state) → ☑/☐."""
    out = []
    for annot in page.annots or []:
        data = annot.get("data") or {}
        if _name(data.get("Subtype")) != "Widget":
            continue
        state = data.get("AS")
        if state is None:
            continue
        ft = _name(data.get("FT")) or _name(_resolve(data.get("Parent"), "FT"))
        if ft not in (None, "Btn"):
            continue
        glyph = checkbox.UNCHECKED if _name(state) == "Off" else checkbox.CHECKED
        out.append(_synthetic(glyph, annot["x0"], annot["top"], annot["x1"], annot["bottom"]))
    return out


def _name(value) -> str | None:
    if value is None:
        return None
    name = getattr(value, "name", value)
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return str(name).lstrip("/")


def _resolve(ref, key: str):
    try:
        from pdfminer.pdftypes import resolve1

        obj = resolve1(ref)
        return obj.get(key) if isinstance(obj, dict) else None
    except Exception:  # noqa: BLE001 - a broken annotation dict is simply not a checkbox
        return None


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


def _cell_edges(lines: list[Line], box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Left and right text edges inside a cell: its borders less the padding the text shows."""
    pad = min((ln.x0 - box[0] for ln in lines), default=2.0)
    pad = min(max(pad, 0.5), 8.0)
    return box[0] + pad, max(box[2] - pad, max((ln.x1 for ln in lines), default=box[2]))


def _body_edges(pages: list[PageData]) -> tuple[float, float]:
    """Left and right edges of the running text: its own extent, widened to the tables' and to
    the mirror of the left margin (pages with only short lines would otherwise look full)."""
    xs0 = [ln.x0 for p in pages for ln in p.lines] + [t.bbox[0] for p in pages for t in p.tables]
    xs1 = [ln.x1 for p in pages for ln in p.lines] + [t.bbox[2] for p in pages for t in p.tables]
    if not xs0:
        return 0.0, 0.0
    left = min(xs0)
    width = max((p.width for p in pages), default=0.0)
    return left, max(max(xs1), width - left if width > 2 * left else 0.0)


# ---------------------------------------------------------------------------------------------
# Tables


def _table_parts(tables, page_no: int) -> list[TablePart]:
    parts = []
    for t in tables:
        x0, top, x1, bottom = t.bbox
        if x1 - x0 < _MIN_TABLE_SIDE and bottom - top < _MIN_TABLE_SIDE:
            continue
        if x1 - x0 < _MIN_TABLE_SIDE or bottom - top < 6:
            continue
        row_tops = sorted({round(c[1], 1) for c in t.cells})
        col_lefts = sorted({round(c[0], 1) for c in t.cells})
        rows: list[list[Cell]] = []
        for r_i, row in enumerate(t.rows):
            cells = []
            for c in row.cells:
                if c is None:
                    continue
                ri = _index(row_tops, c[1])
                ci = _index(col_lefts, c[0])
                r_span = max(1, sum(1 for y in row_tops if c[1] - 0.5 <= y < c[3] - 0.5))
                c_span = max(1, sum(1 for x in col_lefts if c[0] - 0.5 <= x < c[2] - 0.5))
                cells.append(Cell(tuple(round(v, 2) for v in c), ri, ci, r_span, c_span, page_no))
            if cells:
                rows.append(cells)
            del r_i
        if rows:
            parts.append(TablePart(page_no, tuple(round(v, 2) for v in t.bbox), rows))
    return parts


def _index(sorted_vals: list[float], v: float) -> int:
    i = bisect.bisect_left(sorted_vals, round(v, 1) - 0.5)
    return min(i, len(sorted_vals) - 1)


class _CellIndex:
    """Finds the cell under a point quickly: horizontal bands, then the few cells of a band."""

    def __init__(self, parts: list[TablePart]):
        self.cells = [c for p in parts for row in p.rows for c in row]
        ys = sorted({c.bbox[1] for c in self.cells} | {c.bbox[3] for c in self.cells})
        self.ys = ys
        self.bands: list[list[Cell]] = [[] for _ in range(max(0, len(ys) - 1))]
        for c in self.cells:
            lo = bisect.bisect_left(ys, c.bbox[1])
            hi = bisect.bisect_left(ys, c.bbox[3])
            for b in range(lo, hi):
                self.bands[b].append(c)

    def find(self, x: float, y: float) -> Cell | None:
        b = bisect.bisect_right(self.ys, y) - 1
        if b < 0 or b >= len(self.bands):
            return None
        for c in self.bands[b]:
            if c.bbox[0] <= x <= c.bbox[2]:
                return c
        return None


# ---------------------------------------------------------------------------------------------
# One page


def read_page(page, page_no: int, notes: list[Note], file: str) -> PageData:
    """Everything needed from one pdfplumber page, in one pass; the page's caches are freed after."""
    data = PageData(page_no, float(page.width), float(page.height))
    raw = page.chars
    covered = 0.0
    for img in page.images:
        w, h = img["x1"] - img["x0"], img["bottom"] - img["top"]
        if w >= _MIN_IMAGE_PT and h >= _MIN_IMAGE_PT:
            src = img.get("srcsize") or (0, 0)
            data.images.append((_bbox(img), (int(src[0] or 0), int(src[1] or 0)), img.get("stream")))
            covered += w * h
    if not any(not c["text"].isspace() for c in raw if c["text"]):
        # No text layer: a scan when a picture covers a good part of the page; else a blank page.
        data.scanned = covered >= _SCAN_COVER * data.width * data.height
        data.source = page if data.scanned else None
        return data
    chars = _decode_chars(raw, page_no, notes, file)
    boxes, consumed, squares = _drawn_boxes(page, chars)
    if consumed:
        ids = {id(c) for c in consumed}
        chars = [c for c in chars if id(c) not in ids]
    chars.extend(boxes)
    chars.extend(_widget_boxes(page))
    table_page = page
    if squares:
        # Drawn checkboxes stacked a line apart would otherwise join into a column of tiny cells.
        drop = {_bbox(r) for r in squares}
        table_page = page.filter(lambda o: o.get("object_type") != "rect" or _bbox(o) not in drop)
    _place(data, chars, _table_parts(table_page.find_tables(TABLE_SETTINGS), page_no))
    return data


def _place(data: PageData, chars: list[dict], parts: list[TablePart]) -> None:
    """Characters into the cells of the page's tables (by their centre) or the running text."""
    index = _CellIndex(parts)
    outside: list[dict] = []
    per_cell: dict[int, list[dict]] = {}
    for ch in chars:
        cell = index.find((ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2) if index.cells else None
        if cell is None:
            outside.append(ch)
        else:
            per_cell.setdefault(id(cell), []).append(ch)
    for cell in index.cells:
        cell.lines = build_lines(per_cell.get(id(cell), []), data.number)
    data.lines = build_lines(outside, data.number)
    data.tables = parts


# ---------------------------------------------------------------------------------------------
# Headers, footers, page numbers


def _norm_running(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def strip_running_lines(pages: list[PageData]) -> None:
    """Remove page headers/footers (repeated at the same place on most pages) and page numbers."""
    text_pages = [p for p in pages if p.lines or p.tables]
    if not text_pages:
        return
    counts: Counter[tuple[str, int]] = Counter()
    for p in text_pages:
        seen = set()
        for ln in p.lines:
            if _in_band(ln, p):
                key = (_norm_running(ln.text), round(ln.top / 4))
                if key not in seen:
                    seen.add(key)
                    counts[key] += 1
    need = max(2, (len(text_pages) + 1) // 2)
    for p in pages:
        kept = []
        for ln in p.lines:
            if _in_band(ln, p):
                t = re.sub(r"\s+", " ", ln.text).strip()
                key = (_norm_running(ln.text), round(ln.top / 4))
                near = sum(counts.get((key[0], key[1] + d), 0) for d in (-1, 0, 1))
                if any(rx.match(t) for rx in _PAGE_NUMBER) or (len(text_pages) >= 2 and near >= need):
                    continue
            kept.append(ln)
        p.lines = kept


def _in_band(ln: Line, p: PageData) -> bool:
    return ln.bottom <= p.height * _EDGE_BAND or ln.top >= p.height * (1 - _EDGE_BAND)


# ---------------------------------------------------------------------------------------------
# Flow: body text and tables in reading order, across pages


@dataclass
class _Flow:
    kind: str  # "text" | "table"
    lines: list[Line] = field(default_factory=list)
    parts: list[TablePart] = field(default_factory=list)


def build_flow(pages: list[PageData]) -> list[_Flow]:
    """Body lines and table parts in reading order; a table continued on the next page is one item."""
    flow: list[_Flow] = []
    for p in pages:
        items: list[tuple[float, int, object]] = [(ln.top, 1, ln) for ln in p.lines]
        items += [(t.bbox[1], 0, t) for t in p.tables]
        items.sort(key=lambda it: (it[0], it[1]))
        for n, (_, _, obj) in enumerate(items):
            if isinstance(obj, TablePart):
                prev = flow[-1] if flow else None
                if (
                    n == 0
                    and prev is not None
                    and prev.kind == "table"
                    and _continues(prev.parts[-1], obj, pages)
                ):
                    prev.parts.append(obj)
                else:
                    flow.append(_Flow("table", parts=[obj]))
            else:
                if not flow or flow[-1].kind != "text":
                    flow.append(_Flow("text"))
                flow[-1].lines.append(obj)
    return flow


def _continues(a: TablePart, b: TablePart, pages: list[PageData]) -> bool:
    """Part b (first thing on its page) continues part a (on the page before, nothing below it)."""
    if b.page != a.page + 1:
        return False
    pa = pages[a.page - 1] if 0 < a.page <= len(pages) else None
    if pa is not None and any(ln.top > a.bbox[3] for ln in pa.lines):
        return False
    if pa is not None and pa.tables and pa.tables[-1] is not a:
        return False
    return abs(a.bbox[0] - b.bbox[0]) <= 4 and abs(a.bbox[2] - b.bbox[2]) <= 4


@dataclass
class _LogicalCell:
    """A cell as the document has it: one piece per page it runs over."""

    pieces: list[Cell]
    row_span: int
    col: int = 0
    col_span: int = 1


def _aligned(a: Cell, b: Cell) -> bool:
    return abs(a.bbox[0] - b.bbox[0]) <= 4 and abs(a.bbox[2] - b.bbox[2]) <= 4


def _last_line(lc: _LogicalCell) -> tuple[Line | None, int]:
    lines = [ln for piece in lc.pieces for ln in piece.lines]
    return (lines[-1] if lines else None), len(lines)


def _joins(lc: _LogicalCell, cont: Cell) -> bool | None:
    """Whether `cont`'s first line continues the paragraph `lc` ended with; None if either is empty."""
    last, _ = _last_line(lc)
    if last is None or not cont.lines:
        return None
    lines = [ln for piece in lc.pieces for ln in piece.lines] + cont.lines
    left, right = _cell_edges(lines, lc.pieces[0].bbox)
    return not breaks(last, cont.lines[0], None, left, right)


def _split_row(cut: list[tuple[_LogicalCell, Cell]], label: tuple[_LogicalCell, Cell] | None) -> bool:
    """Whether the cells at the top of a page are the rest of the row cut by the page break.

    Yes when the row's label cell carries on empty (the label stayed above, as a narrative or the
    direction list runs over), unless a one-line cell above ends a paragraph the cell below does
    not continue (a new row 职务 under 姓名 in a merged 负责人 block); or when text continues a
    paragraph in some column and starts a new one in none (a header row wrapped over the break).
    """
    verdicts = []
    for lc, cell in cut:
        j = _joins(lc, cell)
        if j is not None:
            verdicts.append((j, _last_line(lc)[1]))
    if label is not None:
        lc, cell = label
        if cell.empty and cell.row_span == 1 and lc.row_span == 1:
            return not any(not j and n == 1 for j, n in verdicts)
    return any(j for j, _ in verdicts) and all(j for j, _ in verdicts)


def _logical_rows(parts: list[TablePart]) -> list[list[_LogicalCell]]:
    """Rows of a table that may run over several pages, with cut rows and cells joined again."""
    rows: list[list[_LogicalCell]] = []
    open_cells: list[_LogicalCell] = []  # cells of the previous part reaching its bottom edge
    for k, part in enumerate(parts):
        for r_i, row in enumerate(part.rows):
            if k > 0 and r_i == 0 and open_cells:
                pairs = []
                for cell in row:
                    match = next((lc for lc in open_cells if _aligned(lc.pieces[-1], cell)), None)
                    pairs.append((match, cell))
                if all(m is not None for m, _ in pairs):
                    table_left = parts[k - 1].bbox[0]
                    label = pairs[0] if abs(pairs[0][1].bbox[0] - table_left) <= 4 else None
                    tail = label is not None and (label[1].row_span > 1 or label[0].row_span > 1)
                    others = pairs[1:] if label is not None else pairs
                    if tail:
                        # The label merged over several rows (负责人, 联合申报单位) goes on; its text joins it.
                        label[0].pieces.append(label[1])
                        label[0].row_span += label[1].row_span - 1
                        label = None
                    if _split_row(others, label):
                        for lc, cell in ([label] if label else []) + others:
                            lc.pieces.append(cell)
                        continue
                    if tail:
                        row = [c for c in row if c is not pairs[0][1]]
                        if not row:
                            continue
            rows.append([_LogicalCell([c], c.row_span) for c in row])
        bottom = part.bbox[3]
        open_cells = [
            lc
            for r in rows
            for lc in r
            if abs(lc.pieces[-1].bbox[3] - bottom) <= 2 and lc.pieces[-1].page == part.page
        ]
    _grid_columns(rows)
    return rows


def _grid_columns(rows: list[list[_LogicalCell]]) -> None:
    """Column index and span of each cell on the grid of the whole table (all pages)."""
    lefts: list[float] = []
    for x in sorted(lc.pieces[0].bbox[0] for r in rows for lc in r):
        if not lefts or x - lefts[-1] > 2:
            lefts.append(x)
    for r in rows:
        for lc in r:
            x0, _, x1, _ = lc.pieces[0].bbox
            lc.col = max(0, bisect.bisect_right(lefts, x0 + 2) - 1)
            lc.col_span = max(1, sum(1 for x in lefts if x0 - 2 <= x < x1 - 2))


def _cell_text(lc: _LogicalCell) -> str:
    lines = [ln for piece in lc.pieces for ln in piece.lines]
    if not lines:
        return ""
    left, right = _cell_edges(lines, lc.pieces[0].bbox)
    return "\n".join(join_lines(p) for p in paragraphs(lines, left, right))


# ---------------------------------------------------------------------------------------------
# Blocks


def layout_blocks(flow: list[_Flow], edges: tuple[float, float], file: str, notes: list[Note]) -> list[Block]:
    blocks: list[Block] = []
    para_no = 0
    table_no = 0
    left, right = edges
    substituted = False
    for item in flow:
        if item.kind == "text":
            for para in paragraphs(item.lines, left, right):
                text, sub = _canonical(join_lines(para))
                if para[0].confidence is not None:
                    text = ocr_fix_text(text)
                substituted |= sub
                first = [ln for ln in para if ln.page == para[0].page]
                conf = [ln.confidence for ln in para if ln.confidence is not None]
                prov = Provenance(
                    file,
                    page=para[0].page,
                    paragraph=para_no,
                    bbox=_union(first),
                    ocr=bool(conf),
                    confidence=round(sum(conf) / len(conf), 3) if conf else None,
                )
                blocks.append(Block(text, "paragraph", prov, ocr_lines=_ocr_lines(para, text)))
                para_no += 1
            continue
        for r_i, row in enumerate(_logical_rows(item.parts)):
            for c_i, lc in enumerate(row):
                head = lc.pieces[0]
                text, sub = _canonical(_cell_text(lc))
                conf = [
                    ln.confidence for piece in lc.pieces for ln in piece.lines if ln.confidence is not None
                ]
                if conf:
                    text = ocr_fix_text(text)
                substituted |= sub
                prov = Provenance(
                    file,
                    page=head.page,
                    table=table_no,
                    row=r_i,
                    col=lc.col,
                    bbox=head.bbox,
                    ocr=bool(conf),
                    confidence=round(sum(conf) / len(conf), 3) if conf else None,
                )
                blocks.append(
                    Block(text, "cell", prov, new_row=c_i == 0, row_span=lc.row_span, col_span=lc.col_span,
                          ocr_lines=_ocr_lines([ln for piece in lc.pieces for ln in piece.lines], text))
                )
        table_no += 1
    if substituted:
        notes.append(
            Note(
                "PDF 中复选框所用的符号字体（Wingdings）在导出时缺失，已按字符编码（如 R/þ 为已勾选，£/¨ 为未勾选）推断勾选状态，请人工核对"
            )
        )
    return blocks


def _ocr_lines(lines: list[Line], text: str) -> tuple[tuple[int, float], ...]:
    """(end offset in `text`, confidence) of each OCR line a block was joined from; () for a text layer.

    Offsets are the lines' own lengths, scaled onto `text` where joining or the slip fixes changed it
    by a character or two."""
    read = [ln for ln in lines if ln.confidence is not None and ln.text]
    if not read:
        return ()
    total = sum(len(ln.text) for ln in read)
    out, end = [], 0
    for ln in read:
        end += len(ln.text)
        out.append((round(end * len(text) / total) if total else 0, float(ln.confidence or 0.0)))
    return tuple(out)


def _canonical(text: str) -> tuple[str, bool]:
    """Box glyphs → ☑/☐; lone symbol-font codes printed in a fallback font read as boxes."""
    substituted = False
    lone = {m.group(1) for m in _LONE.finditer(text)} if text else set()
    for key in _SUBSTITUTED_FONTS if lone else ():
        table = checkbox.SYMBOL_FONTS[key]
        anchors = {chr(c) for c, v in table.items() if v == checkbox.UNCHECKED and c > 0x7F}
        if not anchors & lone:
            continue

        def repl(m: re.Match[str], table=table) -> str:
            meaning = table.get(ord(m.group(1)))
            return meaning if meaning in (checkbox.CHECKED, checkbox.UNCHECKED) else m.group(1)

        text = _LONE.sub(repl, text)
        substituted = True
        break
    return checkbox.canonicalize(text), substituted


def _union(lines: list[Line]) -> tuple[float, float, float, float] | None:
    if not lines:
        return None
    return (
        round(min(ln.x0 for ln in lines), 2),
        round(min(ln.top for ln in lines), 2),
        round(max(ln.x1 for ln in lines), 2),
        round(max(ln.bottom for ln in lines), 2),
    )


# ---------------------------------------------------------------------------------------------
# Rendering: OCR of scanned pages, seals on page images


class _Renderer:
    """pypdfium2 document opened on first use (only files with scans or pictures need it)."""

    def __init__(self, path: Path):
        self.path = path
        self.doc = None

    def page_image(self, index: int, dpi: int, crop: tuple[float, float, float, float] | None = None):
        """The page (or the `crop` box of it, top-left coordinates) rendered at `dpi`, never larger
        than `_MAX_RENDER_SIDE` pixels a side (an absurd page size must not exhaust memory)."""
        page = self._document()[index]
        try:
            w, h = page.get_size()
            cw, ch = (crop[2] - crop[0], crop[3] - crop[1]) if crop is not None else (w, h)
            scale = min(dpi / 72, _MAX_RENDER_SIDE / max(cw, ch, 1.0))
            if crop is None:
                return page.render(scale=scale).to_pil()
            x0, top, x1, bottom = crop
            box = (max(0.0, x0), max(0.0, h - bottom), max(0.0, w - x1), max(0.0, top))
            return page.render(scale=scale, crop=box).to_pil()
        finally:
            page.close()

    def _document(self):
        import pypdfium2 as pdfium

        if self.doc is None:
            self.doc = pdfium.PdfDocument(str(self.path), password=None)
        return self.doc

    def image_pixels(self, index: int, bbox: tuple[float, float, float, float], stream):
        """The picture drawn at `bbox` (top-left coordinates) at its own resolution, with its soft
        mask as alpha; None when no image object sits there."""
        import pypdfium2.raw as pdfium_c

        page = self._document()[index]
        try:
            height = page.get_size()[1]
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                x0, y0, x1, y1 = obj.get_bounds()
                if abs(x0 - bbox[0]) > 2 or abs((height - y1) - bbox[1]) > 2 or abs(x1 - bbox[2]) > 2:
                    continue
                img = obj.get_bitmap(render=False).to_pil()
                alpha = _soft_mask(stream, img.size)
                if alpha is not None:
                    img = img.convert("RGB")
                    img.putalpha(alpha)
                return img
            return None
        finally:
            page.close()

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()
            self.doc = None


def _soft_mask(stream, size: tuple[int, int]):
    """The image's /SMask (8-bit grey, same size) as a PIL alpha channel, if it has a simple one."""
    from pdfminer.pdftypes import resolve1
    from PIL import Image

    try:
        mask = resolve1(stream.attrs.get("SMask")) if stream is not None else None
        if mask is None or resolve1(mask.attrs.get("BitsPerComponent")) != 8:
            return None
        w, h = resolve1(mask.attrs.get("Width")), resolve1(mask.attrs.get("Height"))
        data = mask.get_data()
        if (w, h) != size or len(data) < w * h:
            return None
        alpha = Image.frombytes("L", (w, h), data[: w * h])
        decode = resolve1(mask.attrs.get("Decode"))
        if isinstance(decode, list) and len(decode) == 2 and resolve1(decode[0]) == 1:
            alpha = alpha.point(lambda v: 255 - v)
        return alpha
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        raise
    except Exception:  # noqa: BLE001 - an undecodable mask only costs the transparency
        return None


def _read_scan(img, p: PageData) -> None:
    """A straightened scanned page → the same lines and table cells a text page gives."""
    from . import ocr

    scan = ocr.read_scan(img, OCR_CHECKBOX_MIN_FILL)
    k = p.width / img.width if img.width else 72 / OCR_DPI
    chars = [
        {
            "text": c.text,
            "x0": c.bbox[0] * k,
            "x1": c.bbox[2] * k,
            "top": c.bbox[1] * k,
            "bottom": c.bbox[3] * k,
            "size": (c.bbox[3] - c.bbox[1]) * k,
            "conf": c.confidence,
            "box": c.box,
        }
        for c in scan.chars
    ]
    h_lines = [_line(x0 * k, x1 * k, y * k, y * k) for x0, x1, y in scan.h_rules]
    v_lines = [_line(x * k, x * k, y0 * k, y1 * k) for y0, y1, x in scan.v_rules]
    parts: list[TablePart] = []
    if len(h_lines) >= 2 and len(v_lines) >= 2 and p.source is not None:  # fewer make no cell
        settings = {
            **TABLE_SETTINGS,
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": v_lines,
            "explicit_horizontal_lines": h_lines,
            "edge_min_length": 6,  # rules read from pixels: shorter ones are specks
        }
        parts = _table_parts(p.source.find_tables(settings), p.number)
    _place(p, chars, parts)
    confs = [c["conf"] for c in chars if c["box"] >= 0]
    p.ocr_confidence = sum(confs) / len(confs) if confs else None


def _line(x0: float, x1: float, top: float, bottom: float) -> dict:
    """A ruling line as pdfplumber's table finder takes it (`explicit_*_lines`)."""
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top}


def _page_lines(p: PageData) -> list[Line]:
    return p.lines + [ln for t in p.tables for row in t.rows for c in row for ln in c.lines]


def _near_label(bbox, lines: list[Line], labels: tuple[str, ...]) -> bool:
    """A seal near (overlapping, beside or just below/above) a line naming the seal place."""
    if not labels:
        return False
    x0, top, x1, bottom = bbox
    h = bottom - top
    for ln in lines:
        if not any(lab in ln.text for lab in labels):
            continue
        if ln.bottom >= top - h and ln.top <= bottom + h and ln.x1 >= x0 - 2 * h and ln.x0 <= x1 + h:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Entry point


def read_pdf(path: Path, display: str, options) -> Layout:
    """A PDF → Layout; ExtractionError for encrypted, unreadable, oversized or timed-out files."""
    from . import ocr as ocr_mod
    from .errors import ExtractionError

    deadline = _Deadline(options.limits.file_timeout_s)
    seal_ratio, seal_px, seal_labels = _seal_settings(options)
    layout = Layout(file=display, format="pdf")
    pdf = _open(path)
    renderer = _Renderer(path)
    try:
        declared = _declared_pages(pdf)
        if declared is not None and declared > options.limits.max_pdf_pages:
            layout.pages = declared
            raise ExtractionError(
                "FILE_UNREADABLE", f"PDF 共 {declared} 页，超过上限 {options.limits.max_pdf_pages} 页，未读取"
            )
        try:
            page_objs = list(pdf.pages)
        except MemoryError:  # extract_file reports it as 内存超限, never cached
            raise
        except Exception as exc:  # noqa: BLE001 - a broken page tree
            raise ExtractionError("FILE_UNREADABLE", f"PDF 页面结构损坏：{_short(exc)}") from None
        n = len(page_objs)
        layout.pages = n
        if n == 0:
            raise ExtractionError("FILE_UNREADABLE", "PDF 没有任何页面")
        if n > options.limits.max_pdf_pages:
            raise ExtractionError(
                "FILE_UNREADABLE", f"PDF 共 {n} 页，超过上限 {options.limits.max_pdf_pages} 页，未读取"
            )
        pages: list[PageData] = []
        for i, page in enumerate(page_objs):
            deadline.check()
            try:
                pages.append(read_page(page, i + 1, layout.notes, display))
            except ExtractionError:
                raise
            except MemoryError:  # extract_file reports it as 内存超限, never cached
                raise
            except Exception as exc:  # noqa: BLE001 - one broken content stream spoils the file
                raise ExtractionError(
                    "FILE_UNREADABLE", f"PDF 第 {i + 1} 页无法解析：{_short(exc)}"
                ) from None
            finally:
                page.close()
        scanned = [p for p in pages if p.scanned]
        if scanned:
            can_ocr = options.ocr and ocr_mod.engine_available()
            if not can_ocr:
                if len(scanned) == len(pages):
                    raise ExtractionError(
                        "OCR_UNAVAILABLE", _no_ocr_reason(options, len(pages), all_pages=True)
                    )
                nums = "、".join(str(p.number) for p in scanned)
                layout.problems.append(
                    FileProblem(
                        "OCR_UNAVAILABLE",
                        f"第 {nums} 页没有文字层（扫描件），" + _no_ocr_reason(options, len(scanned)),
                    )
                )
            else:
                _ocr_pages(scanned, renderer, deadline, layout, display, (seal_ratio, seal_px, seal_labels))
                confs = []
                for p in scanned:
                    if p.ocr_confidence is not None:
                        confs.append(p.ocr_confidence)
                    if p.ocr_failed:
                        continue
                    if not _page_lines(p):
                        layout.notes.append(
                            Note(
                                f"第{p.number}页为扫描页，OCR 未识别出文字",
                                Provenance(display, page=p.number),
                            )
                        )
                layout.ocr = True
                layout.ocr_confidence = round(sum(confs) / len(confs), 3) if confs else None
        strip_running_lines(pages)
        for p in pages:
            if p.scanned:
                continue
            for bbox, src, stream in p.images:
                deadline.check()
                _embedded_image(
                    renderer, p, bbox, src, stream, seal_ratio, seal_px, seal_labels, layout, display
                )
        layout.blocks = layout_blocks(build_flow(pages), _body_edges(pages), display, layout.notes)
        return layout
    finally:
        renderer.close()
        pdf.close()


def _seal_settings(options) -> tuple[float, int, tuple[str, ...]]:
    """[seal] thresholds as extract_file passes them, or the packaged rules' when called directly."""
    if options.seal is not None:
        return options.seal[0], options.seal[1], tuple(options.seal_labels)
    from ..config import load_rules

    seal = load_rules().raw["seal"]
    return float(seal["min_red_ratio"]), int(seal["min_size_px"]), tuple(seal.get("near_labels", ()))


def _declared_pages(pdf) -> int | None:
    """/Count of the page tree, read before the tree is walked (a bomb may declare millions)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(pdf.doc.catalog.get("Pages")).get("Count"))
        return int(count) if isinstance(count, int) else None
    except Exception:  # noqa: BLE001 - walking the tree will tell
        return None


def _ocr_pages(scanned: list[PageData], renderer, deadline: _Deadline, layout: Layout, display: str,
               seal: tuple) -> None:
    """OCR the scanned pages in place. The pages the engine fails on become one EXTRACTION_INCOMPLETE
    problem (severity review: a person reads them), with the traceback in the log, never in the
    message; the other pages are read as usual.

    The time limit counts afresh for each page's OCR (here and in the parent, see `note_stage`): the
    work on one page is bounded (its image is at most _MAX_RENDER_SIDE pixels, the recogniser's input
    at most 2000), so a long scan is limited page by page, and a page past the limit ends the worker
    with the file reported as EXTRACTION_INCOMPLETE. Rendering a page is not OCR: it runs on the
    file's clock, and a page that cannot be rendered stays the file's failure (FILE_UNREADABLE)."""
    from ..workers import note_stage
    from . import ocr as ocr_mod

    failed: dict[str, list[int]] = {}
    for p in scanned:
        deadline.check()
        note_stage("render")  # a page that cannot be rendered (a decompression bomb) is not an OCR failure
        page_img = renderer.page_image(p.number - 1, OCR_DPI)
        deadline.restart()
        note_stage("ocr", restart_clock=True)
        try:
            fixed = ocr_mod.straighten(page_img)
            img = fixed.image
            del page_img
            if fixed.turn in (90, 270):  # read as the upright page: its width is the scan's height
                p.width, p.height = p.height, p.width
            note = fixed.note(p.number)
            if note:
                layout.notes.append(Note(note, Provenance(display, page=p.number)))
            scale = img.width / p.width if p.width else OCR_DPI / 72
            _read_scan(img, p)
            _page_seals(img, p, scale, *seal, layout, display)
        except (ocr_mod.OcrError, MemoryError) as exc:
            p.ocr_failed = True
            p.lines, p.tables = [], []
            failed.setdefault("memory" if isinstance(exc, MemoryError) else "engine", []).append(p.number)
            log.error("%s: OCR of page %d failed", display, p.number, exc_info=exc)
        finally:
            ocr_mod.release_memory()
    note_stage("")
    why = {"engine": "文字识别失败（OCR 引擎出错）", "memory": "文字识别失败（内存不足）"}
    for cause, numbers in failed.items():
        pages = "、".join(map(str, numbers))
        layout.problems.append(FileProblem(
            "EXTRACTION_INCOMPLETE", f"第 {pages} 页（扫描页）{why[cause]}，请人工核对", page=numbers[0]))


def _no_ocr_reason(options, pages: int, all_pages: bool = False) -> str:
    why = "OCR 已关闭" if not options.ocr else "未安装 OCR 引擎（rapidocr-onnxruntime）"
    if all_pages:
        return f"PDF 共 {pages} 页均无文字层（扫描件），{why}，无法识别内容"
    return f"{why}，这些页的内容未能识别"


def _page_seals(
    img, p: PageData, scale: float, ratio: float, size_px: int, labels, layout: Layout, file: str
) -> None:
    from .seal import crop_png_b64, find_seals

    for region in find_seals(img, ratio, size_px):
        x0, y0, x1, y1 = region.bbox
        bbox = (round(x0 / scale, 2), round(y0 / scale, 2), round(x1 / scale, 2), round(y1 / scale, 2))
        layout.images.append(
            ImageInfo(
                prov=Provenance(file, page=p.number, bbox=bbox),
                width=x1 - x0,
                height=y1 - y0,
                red_ratio=round(region.red_ratio, 4),
                near_seal_label=_near_label(bbox, _page_lines(p), labels),
                looks_like_seal=True,
                crop_png_b64=crop_png_b64(img, region.bbox),
            )
        )


def _embedded_image(
    renderer: _Renderer,
    p: PageData,
    bbox,
    src,
    stream,
    ratio: float,
    size_px: int,
    labels,
    layout: Layout,
    file: str,
) -> None:
    """Judge a picture placed on a text page (a pasted seal) from its own pixels, as the DOCX
    backend does: a page clip (an inline picture in a line of exact height) must not hide it."""
    from .seal import crop_png_b64, image_info, to_rgb

    if src[0] * src[1] > _MAX_IMAGE_PIXELS:
        layout.notes.append(
            Note(
                f"第{p.number}页的图片过大（{src[0]}×{src[1]} 像素），未解码检查印章",
                Provenance(file, page=p.number, bbox=bbox),
            )
        )
        return
    try:
        img = renderer.image_pixels(p.number - 1, bbox, stream)
        if img is None:
            img = renderer.page_image(p.number - 1, IMAGE_DPI, bbox)
    except MemoryError:  # extract_file reports it as 内存超限, never cached
        raise
    except Exception as exc:  # noqa: BLE001 - an image that cannot be decoded is noted, not fatal
        layout.notes.append(
            Note(f"第{p.number}页的图片无法解码：{_short(exc)}", Provenance(file, page=p.number, bbox=bbox))
        )
        return
    rgb = to_rgb(img)  # once: the seal test and the thumbnail both work on the flattened picture
    red, seal = image_info(rgb, ratio, size_px)
    near = _near_label(bbox, _page_lines(p), labels)
    layout.images.append(
        ImageInfo(
            prov=Provenance(file, page=p.number, bbox=bbox),
            width=src[0] or img.width,
            height=src[1] or img.height,
            red_ratio=round(red, 4),
            near_seal_label=near,
            looks_like_seal=seal,
            crop_png_b64=crop_png_b64(rgb) if (seal or near) else None,
        )
    )
