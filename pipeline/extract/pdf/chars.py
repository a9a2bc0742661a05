"""PDF characters as the checker needs them: symbol-font checkbox glyphs, private-use codes, boxes
drawn as rectangles and form-field widgets all become ☑/☐ characters at their place on the line.
"""

from __future__ import annotations

import re

from pdfminer.pdftypes import resolve1

from ...model import Note, Provenance
from .. import checkbox
from .lines import BOX_MAX, BOX_MIN, PUA_FONTS

# ---------------------------------------------------------------------------------------------
# Characters: symbol fonts, drawn boxes, widgets


def decode_chars(chars: list[dict], page_no: int, notes: list[Note], file: str) -> list[dict]:
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
                Provenance(file, page=page_no, bbox=obj_bbox(ch)),
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
    return any(name.startswith(f) for f in PUA_FONTS)


def _font_label(font: str | None) -> str:
    return re.sub(r"^[A-Z]{6}\+", "", font or "?")


def obj_bbox(obj: dict) -> tuple[float, float, float, float]:
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


def drawn_boxes(page, chars: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Squares drawn as rectangles about a character high → ☑/☐ chars; a tick/cross inside checks it.

    Returns (synthetic box chars, chars that were marks inside a box and are consumed, the squares).
    """
    rects = page.rects
    squares = []
    for r in rects:
        w, h = r["x1"] - r["x0"], r["bottom"] - r["top"]
        if BOX_MIN <= w <= BOX_MAX and BOX_MIN <= h <= BOX_MAX and abs(w - h) <= 0.2 * max(w, h) + 0.5:
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


def widget_boxes(page) -> list[dict]:
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

        obj = resolve1(ref)
        return obj.get(key) if isinstance(obj, dict) else None
    except Exception:  # noqa: BLE001 - a broken annotation dict is simply not a checkbox
        return None
