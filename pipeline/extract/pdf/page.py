"""One PDF page: characters placed in table cells or in the running text, the form's table found
from its ruling lines, and running heads, footers and page numbers dropped across pages.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from ...model import Note
from .chars import decode_chars, drawn_boxes, obj_bbox, widget_boxes
from .lines import (
    EDGE_BAND,
    MIN_IMAGE_PT,
    MIN_TABLE_SIDE,
    PAGE_NUMBER,
    SCAN_COVER,
    TABLE_SETTINGS,
    Cell,
    Line,
    PageData,
    TablePart,
    build_lines,
)

# ---------------------------------------------------------------------------------------------
# Tables


def table_parts(tables, page_no: int) -> list[TablePart]:
    parts = []
    for t in tables:
        x0, top, x1, bottom = t.bbox
        if x1 - x0 < MIN_TABLE_SIDE and bottom - top < MIN_TABLE_SIDE:
            continue
        if x1 - x0 < MIN_TABLE_SIDE or bottom - top < 6:
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
        if w >= MIN_IMAGE_PT and h >= MIN_IMAGE_PT:
            src = img.get("srcsize") or (0, 0)
            data.images.append((obj_bbox(img), (int(src[0] or 0), int(src[1] or 0)), img.get("stream")))
            covered += w * h
    if not any(not c["text"].isspace() for c in raw if c["text"]):
        # No text layer: a scan when a picture covers a good part of the page; else a blank page.
        data.scanned = covered >= SCAN_COVER * data.width * data.height
        data.source = page if data.scanned else None
        return data
    chars = decode_chars(raw, page_no, notes, file)
    boxes, consumed, squares = drawn_boxes(page, chars)
    if consumed:
        ids = {id(c) for c in consumed}
        chars = [c for c in chars if id(c) not in ids]
    chars.extend(boxes)
    chars.extend(widget_boxes(page))
    table_page = page
    if squares:
        # Drawn checkboxes stacked a line apart would otherwise join into a column of tiny cells.
        drop = {obj_bbox(r) for r in squares}
        table_page = page.filter(lambda o: o.get("object_type") != "rect" or obj_bbox(o) not in drop)
    place_chars(data, chars, table_parts(table_page.find_tables(TABLE_SETTINGS), page_no))
    return data


def place_chars(data: PageData, chars: list[dict], parts: list[TablePart]) -> None:
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
                if any(rx.match(t) for rx in PAGE_NUMBER) or (len(text_pages) >= 2 and near >= need):
                    continue
            kept.append(ln)
        p.lines = kept


def _in_band(ln: Line, p: PageData) -> bool:
    return ln.bottom <= p.height * EDGE_BAND or ln.top >= p.height * (1 - EDGE_BAND)
