"""Body text and tables in reading order across pages: a table continued on the next page is
chained, a row split by the page break is merged back, and the flow becomes `Block`s.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ...model import Block, Note, Provenance
from .. import checkbox
from ..ocrfix import fix_text as ocr_fix_text
from .lines import (
    LONE,
    SUBSTITUTED_FONTS,
    Cell,
    Line,
    PageData,
    TablePart,
    breaks,
    cell_edges,
    join_lines,
    paragraphs,
)

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
    left, right = cell_edges(lines, lc.pieces[0].bbox)
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
    left, right = cell_edges(lines, lc.pieces[0].bbox)
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
    lone = {m.group(1) for m in LONE.finditer(text)} if text else set()
    for key in SUBSTITUTED_FONTS if lone else ():
        table = checkbox.SYMBOL_FONTS[key]
        anchors = {chr(c) for c, v in table.items() if v == checkbox.UNCHECKED and c > 0x7F}
        if not anchors & lone:
            continue

        def repl(m: re.Match[str], table=table) -> str:
            meaning = table.get(ord(m.group(1)))
            return meaning if meaning in (checkbox.CHECKED, checkbox.UNCHECKED) else m.group(1)

        text = LONE.sub(repl, text)
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
