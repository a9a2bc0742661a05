"""Layout transforms of a 附件1 form (issue #17 item 2): the same content, another layout.

Each transform reads the DOCX it is given (a form whose 二、具体内容 sections are rows of the main
table, as the committed samples are) and writes a variant into `out_dir`, without changing what the
applicant wrote. The section labels and printed hints come from the rules file, never from the
sample generator (samples/gen): this is an independent tool.

    T1  sections as bold （一）… headings + body paragraphs after the table
    T2  sections as `Heading 2` paragraphs + body paragraphs after the table
    T3  一、/1./1、 numbered headings split over two lines (two paragraphs or a line break)
    T4  the printed hints moved into the label cells (table kept)
    T5  label and first line on one paragraph (`已有基础：text…`), the other lines after it
    T6  DOCX → .doc → DOCX through LibreOffice (the .doc is a variant too)
    T7  T1–T6 (and the untouched form) exported to PDF through LibreOffice, Wingdings boxes first
        written as the Unicode glyphs they show (LibreOffice 7.4 draws them wrongly, see below)
    T8  tracked changes (a w:ins that is content, a w:del that is not) and a comment
    T9  the file under the other extension (.docx named .pdf, .pdf named .docx, .doc named .pdf)

`make_variants` builds many at once with one LibreOffice call per conversion step.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from pipeline.config import load_rules

Transform = Callable[[Path, Path], Path]

ZIP_DATE = (2023, 11, 8, 9, 0, 0)
REVISION_DATE = "2023-11-09T10:00:00Z"
REVIEWER = "审核人"
CN_NUMERALS = "一二三四五六七八九十"
# Where a label breaks when it is split over two lines (T3); other labels break in the middle.
SPLITS = {"牵头单位基本情况介绍": 4, "场景建设概述": 4, "阶段性目标": 3}
DELETED_TEXT = "（此句为初稿内容，已删除）"
DELETED_ADDRESS = "上海市徐汇区漕溪北路1号"
COMMENT_TEXT = "请补充可量化的考核指标。"


# --- the form's structure ---------------------------------------------------------------------
@dataclass(frozen=True)
class SectionInfo:
    key: str
    labels: tuple[str, ...]
    hint: str


@cache
def sections() -> tuple[SectionInfo, ...]:
    return tuple(SectionInfo(s.key, s.labels, s.hint) for s in load_rules().sections)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _p_text(p) -> str:
    """Visible text of a w:p: w:t and w:br (as a line break), inserted text included, deletions not."""
    out = []
    for node in p.iter(qn("w:t"), qn("w:br"), qn("w:tab")):
        if node.tag == qn("w:t"):
            out.append(node.text or "")
        elif node.tag == qn("w:br"):
            out.append("\n")
        else:
            out.append("\t")
    return "".join(out)


def _cell_text(tc) -> str:
    return "\n".join(_p_text(p) for p in tc.findall(qn("w:p")))


def is_hint(text: str, section: SectionInfo) -> bool:
    t = _norm(text)
    return bool(t) and (t == _norm(section.hint) or bool(re.fullmatch(r"\(.*不超过\d+字\)", t)))


@dataclass
class SectionRow:
    section: SectionInfo
    tr: object  # the w:tr
    label_tc: object
    answer_tc: object

    @property
    def label(self) -> str:
        return self.section.labels[0]

    @property
    def lines(self) -> list:
        """The answer cell's paragraphs (w:p), printed hint included where it stands."""
        return self.answer_tc.findall(qn("w:p"))

    def applicant_lines(self) -> list:
        return [p for p in self.lines if _p_text(p).strip() and not is_hint(_p_text(p), self.section)]


@dataclass
class FormTable:
    tbl: object
    heading_tr: object | None  # the 二、具体内容 row
    rows: list[SectionRow]
    pledge_tr: object | None  # the 真实性承诺 row


def find_form_table(doc) -> FormTable:
    """The table that holds the seven section rows (label cell, answer cell)."""
    by_label = {_norm(label): s for s in sections() for label in s.labels}
    for tbl in doc.element.body.iter(qn("w:tbl")):
        rows: list[SectionRow] = []
        heading = pledge = None
        for tr in tbl.findall(qn("w:tr")):
            tcs = tr.findall(qn("w:tc"))
            first = _norm(_cell_text(tcs[0])) if tcs else ""
            if len(tcs) == 1 and first == _norm("二、具体内容"):
                heading = tr
            elif first == "真实性承诺":
                pledge = tr
            elif first in by_label and len(tcs) >= 2:
                rows.append(SectionRow(by_label[first], tr, tcs[0], tcs[1]))
        if len(rows) == len(sections()):
            return FormTable(tbl, heading, rows, pledge)
    raise ValueError("no table with the seven 二、具体内容 rows")


# --- building paragraphs ----------------------------------------------------------------------
def _new_p(doc, text: str = "", *, bold: bool = False, style: str | None = None, size: float | None = None):
    """A detached w:p made with python-docx (a line break where `text` has a newline)."""
    para = doc.add_paragraph(style=style)
    if text:
        run = para.add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)
    p = para._p
    p.getparent().remove(p)
    return p


def _place_after(anchor, elements: list) -> object:
    for el in elements:
        anchor.addnext(el)
        anchor = el
    return anchor


def _body_lines(row: SectionRow) -> list:
    """One body paragraph per line of the answer cell (copies, formatting kept)."""
    return [copy.deepcopy(p) for p in row.lines]


def _to_paragraphs(doc, heading: Callable[[int, SectionRow], list], body=_body_lines) -> None:
    """Take the 二、具体内容 rows out of the table and write them after it as paragraphs."""
    form = find_form_table(doc)
    out: list = []
    if form.heading_tr is not None:
        (tc,) = form.heading_tr.findall(qn("w:tc"))
        out.extend(copy.deepcopy(p) for p in tc.findall(qn("w:p")))
    for i, row in enumerate(form.rows):
        out.extend(heading(i, row))
        out.extend(body(row))
    if form.pledge_tr is not None:
        label_tc, *rest = form.pledge_tr.findall(qn("w:tc"))
        out.append(_new_p(doc, _cell_text(label_tc).strip(), bold=True))
        for tc in rest:
            out.extend(copy.deepcopy(p) for p in tc.findall(qn("w:p")))
    for tr in [form.heading_tr, *(r.tr for r in form.rows), form.pledge_tr]:
        if tr is not None:
            form.tbl.remove(tr)
    _place_after(form.tbl, out)


def _save(doc, path: Path) -> Path:
    """Save with fixed zip timestamps, so the same input gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(fixed, zin.read(info.filename))
    path.write_bytes(out.getvalue())
    return path


def _target(src: Path, out_dir: Path, suffix: str | None = None) -> Path:
    return out_dir / (src.name if suffix is None else src.stem + suffix)


# --- T1–T5: python-docx -----------------------------------------------------------------------
def t1_bold_headings(src: Path, out_dir: Path) -> Path:
    """T1: sections as bold `（一）label` paragraphs, the cell's lines as body paragraphs after the table."""
    doc = Document(str(src))
    _to_paragraphs(doc, lambda i, row: [_new_p(doc, f"（{CN_NUMERALS[i]}）{row.label}", bold=True)])
    return _save(doc, _target(src, out_dir))


def t2_heading_styles(src: Path, out_dir: Path) -> Path:
    """T2: sections as Word `Heading 2` paragraphs (the document's own style), body paragraphs after."""
    doc = Document(str(src))
    style = doc.styles["Heading 2"]
    _to_paragraphs(doc, lambda i, row: [_new_p(doc, row.label, style=style.name)])
    return _save(doc, _target(src, out_dir))


def split_label(label: str) -> tuple[str, str]:
    at = SPLITS.get(label, len(label) // 2)
    return label[:at], label[at:]


def t3_split_numbered(src: Path, out_dir: Path) -> Path:
    """T3: `一、`/`1.`/`1、` numbered headings, the label split over two paragraphs or by a line break."""
    doc = Document(str(src))

    def heading(i: int, row: SectionRow) -> list:
        number = (f"{CN_NUMERALS[i]}、", f"{i + 1}.", f"{i + 1}、")[i % 3]
        first, second = split_label(row.label)
        if i % 2 == 0:  # two paragraphs
            return [_new_p(doc, number + first, bold=True), _new_p(doc, second, bold=True)]
        return [_new_p(doc, f"{number}{first}\n{second}", bold=True)]  # one paragraph, a w:br inside

    _to_paragraphs(doc, heading)
    return _save(doc, _target(src, out_dir))


def t4_hints_in_labels(src: Path, out_dir: Path) -> Path:
    """T4: table kept; each printed hint moved into its label cell (removed from the answer cell)."""
    doc = Document(str(src))
    for row in find_form_table(doc).rows:
        hints = [p for p in row.lines if is_hint(_p_text(p), row.section)]
        for p in hints:
            row.answer_tc.remove(p)
        if not row.answer_tc.findall(qn("w:p")):
            row.answer_tc.append(OxmlElement("w:p"))
        moved = copy.deepcopy(hints[0]) if hints else _new_p(doc, row.section.hint)
        row.label_tc.append(moved)
    return _save(doc, _target(src, out_dir))


def t5_label_colon_text(src: Path, out_dir: Path) -> Path:
    """T5: `label：first line` as one paragraph (label bold), the cell's other lines as paragraphs after."""
    doc = Document(str(src))

    def body(row: SectionRow) -> list:
        lines = [p for p in _body_lines(row) if _p_text(p).strip()] or [OxmlElement("w:p")]
        first = lines[0]
        label = _new_p(doc, row.label + "：", bold=True)
        ppr = first.find(qn("w:pPr"))
        anchor = ppr if ppr is not None else None
        for r in label.findall(qn("w:r")):
            if anchor is None:
                first.insert(0, r)
            else:
                anchor.addnext(r)
            anchor = r
        return lines

    _to_paragraphs(doc, lambda i, row: [], body)
    return _save(doc, _target(src, out_dir))


# --- T8: tracked changes and a comment ----------------------------------------------------------
def _revision(tag: str, rid: int):
    el = OxmlElement(tag)
    el.set(qn("w:id"), str(rid))
    el.set(qn("w:author"), REVIEWER)
    el.set(qn("w:date"), REVISION_DATE)
    return el


def _text_runs(p) -> list:
    return [r for r in p.findall(qn("w:r")) if r.find(qn("w:t")) is not None]


def _split_run_tail(run, n: int):
    """Cut the last `n` characters of `run` into a copy placed after it; returns the copy."""
    t = run.findall(qn("w:t"))[-1]
    text = t.text or ""
    tail = copy.deepcopy(run)
    for extra in tail.findall(qn("w:t"))[:-1]:
        tail.remove(extra)
    t.text, tail.find(qn("w:t")).text = text[:-n], text[-n:]
    for node in (t, tail.find(qn("w:t"))):
        node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.addnext(tail)
    return tail


def _wrap_insertion(run, rid: int) -> None:
    ins = _revision("w:ins", rid)
    run.addprevious(ins)
    ins.append(run)


def _insert_deletion(after_run, text: str, rid: int) -> None:
    deleted = _revision("w:del", rid)
    r = OxmlElement("w:r")
    rpr = after_run.find(qn("w:rPr"))
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    dt = OxmlElement("w:delText")
    dt.text = text
    dt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    r.append(dt)
    deleted.append(r)
    after_run.addnext(deleted)


def _first_row_with_text(form: FormTable, keys: tuple[str, ...]) -> SectionRow:
    by_key = {r.section.key: r for r in form.rows}
    for key in keys:
        if by_key[key].applicant_lines():
            return by_key[key]
    raise ValueError("no section with applicant text")


def _basic_value_tc(form: FormTable, label: str):
    for tr in form.tbl.findall(qn("w:tr")):
        tcs = tr.findall(qn("w:tc"))
        if len(tcs) >= 2 and _norm(_cell_text(tcs[0])) == _norm(label) and _text_runs_in(tcs[1]):
            return tcs[1]
    return None


def _text_runs_in(tc) -> list:
    return [r for p in tc.findall(qn("w:p")) for r in _text_runs(p)]


def t8_revisions(src: Path, out_dir: Path) -> Path:
    """T8: a w:ins (content) and a w:del (not content) in a section and in a basic cell, plus a comment."""
    doc = Document(str(src))
    form = find_form_table(doc)
    rid = 900
    # Inserted text is content: the end of a section's first line, and the end of the scenario name.
    row = _first_row_with_text(form, ("scenario_overview", "lead_unit_intro", "requirement_analysis"))
    run = _text_runs(row.applicant_lines()[0])[-1]
    n = max(1, min(12, len(run.find(qn("w:t")).text or "") // 3))
    _wrap_insertion(_split_run_tail(run, n), rid)
    name_tc = _basic_value_tc(form, "场景名称")
    if name_tc is not None:
        run = _text_runs_in(name_tc)[-1]
        if len(run.find(qn("w:t")).text or "") > 2:
            _wrap_insertion(_split_run_tail(run, 2), rid + 1)
    # Deleted text is not content: a sentence in a section, and an old address before the new one.
    row = _first_row_with_text(form, ("existing_foundation", "timeline", "funding", "lead_unit_intro"))
    _insert_deletion(_text_runs(row.applicant_lines()[0])[0], DELETED_TEXT, rid + 2)
    addr_tc = _basic_value_tc(form, "场景所在地址")
    if addr_tc is not None:
        first = _text_runs_in(addr_tc)[0]
        _insert_deletion(first, DELETED_ADDRESS, rid + 3)
        deleted = first.getnext()
        first.addprevious(deleted)  # the deletion stands before the address
    # A comment anchored on a section's first line.
    row = _first_row_with_text(form, ("requirement_analysis", "stage_goals", "scenario_overview"))
    para = Paragraph(row.applicant_lines()[0], doc._body)
    runs = [r for r in para.runs if r.text]
    comment = doc.add_comment(runs, text=COMMENT_TEXT, author=REVIEWER, initials="SH")
    comment._comment_elm.set(qn("w:date"), REVISION_DATE)
    return _save(doc, _target(src, out_dir))


# --- T9: the other extension ------------------------------------------------------------------
OTHER_EXTENSION = {".docx": ".pdf", ".pdf": ".docx", ".doc": ".pdf"}


def t9_renamed(src: Path, out_dir: Path) -> Path:
    """T9: the same bytes under the other extension (.docx → .pdf, .pdf → .docx, .doc → .pdf)."""
    target = _target(src, out_dir, OTHER_EXTENSION[src.suffix.lower()])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    return target


# --- T6, T7: LibreOffice ------------------------------------------------------------------------
_PROFILE: list[Path] = []


def _profile() -> str:
    if not _PROFILE:
        _PROFILE.append(Path(tempfile.mkdtemp(prefix="lo-invariance-profile-")))
    return _PROFILE[0].as_uri()


def soffice_convert(pairs: list[tuple[Path, Path]], fmt: str) -> None:
    """Convert every (source, target) with ONE LibreOffice call (private profile); `fmt` e.g. pdf, doc."""
    if not pairs:
        return
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is needed for T6/T7")
    with tempfile.TemporaryDirectory(prefix="lo-invariance-") as tmp:
        stage, outdir = Path(tmp, "in"), Path(tmp, "out")
        stage.mkdir()
        staged = []
        for i, (src, _target_path) in enumerate(pairs):  # unique ASCII stems: one --outdir for all
            staged.append(stage / f"f{i:04d}{src.suffix}")
            shutil.copyfile(src, staged[-1])
        cmd = [exe, f"-env:UserInstallation={_profile()}", "--headless", "--convert-to", fmt,
               "--outdir", str(outdir), *map(str, staged)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120 + 20 * len(pairs))
        ext = fmt.split(":")[0]
        for (_src, target), s in zip(pairs, staged, strict=True):
            made = outdir / f"{s.stem}.{ext}"
            if not made.exists():
                raise RuntimeError(f"LibreOffice did not convert {_src} to {ext}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(made, target)


# Wingdings box characters (w:sym code or the character a converted run holds) → the Unicode glyph
WINGDINGS_BOXES = {"F0FE": "☑", "F0A8": "□", "F078": "☒", "00FE": "☑", "00A8": "□", "0078": "☒"}


def unicode_checkboxes(src: Path, dst: Path) -> Path:
    """The form with its Wingdings boxes (`w:sym`, or Wingdings runs holding F0FE/F0A8/F078 or þ/¨/x)
    written as the Unicode glyphs they show (☑ □ ☒): LibreOffice 7.4's PDF export draws the
    Wingdings boxes of one paragraph all with the first box's character, so a ticked 单位性质 box
    came out unticked (seen on every sample whose natures are <w:sym> boxes)."""
    doc = Document(str(src))
    body = doc.element.body
    for sym in list(body.iter(qn("w:sym"))):
        glyph = WINGDINGS_BOXES.get((sym.get(qn("w:char")) or "").upper())
        if glyph and "wingdings" in (sym.get(qn("w:font")) or "").lower():
            t = OxmlElement("w:t")
            t.text = glyph
            sym.addprevious(t)
            sym.getparent().remove(sym)
    for run in body.iter(qn("w:r")):
        fonts = run.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is None or "wingdings" not in (fonts.get(qn("w:ascii")) or "").lower():
            continue
        for t in run.findall(qn("w:t")):
            text = t.text or ""
            if text and all(f"{ord(ch) & 0xFFFF:04X}" in WINGDINGS_BOXES for ch in text):
                t.text = "".join(WINGDINGS_BOXES[f"{ord(ch):04X}"] for ch in text)
                fonts.getparent().remove(fonts)
    return _save(doc, dst)


def to_doc(pairs: list[tuple[Path, Path]]) -> None:
    """DOCX → .doc. Through ODT: LibreOffice 7.4 writing .doc straight from these DOCX files flattens
    the table and runs neighbouring cells together (label and value in one paragraph)."""
    with tempfile.TemporaryDirectory(prefix="lo-invariance-odt-") as tmp:
        odt = [(src, Path(tmp, f"o{i:04d}.odt")) for i, (src, _t) in enumerate(pairs)]
        soffice_convert(odt, "odt")
        soffice_convert([(o, t) for (_s, o), (_s2, t) in zip(odt, pairs, strict=True)], "doc")


def t6_doc(src: Path, out_dir: Path) -> Path:
    """T6 (.doc): the form saved as Word 97–2003 .doc by LibreOffice."""
    target = _target(src, out_dir, ".doc")
    to_doc([(src, target)])
    return target


def t6_docx(src: Path, out_dir: Path) -> Path:
    """T6: DOCX → .doc → DOCX through LibreOffice."""
    doc = t6_doc(src, out_dir / "doc")
    target = _target(src, out_dir, ".docx")
    soffice_convert([(doc, target)], "docx")
    return target


def t7_pdf(base: Transform | None) -> Transform:
    """T7: `base`'s output (the form itself when None) exported to PDF by LibreOffice."""

    def transform(src: Path, out_dir: Path) -> Path:
        made = base(src, out_dir / "base") if base else src
        target = _target(src, out_dir, ".pdf")
        soffice_convert([(unicode_checkboxes(made, out_dir / "boxes" / made.name), target)], "pdf")
        return target

    what = (base.__doc__ or "").split(":")[0] if base else "the form"
    transform.__doc__ = f"T7: {what} exported to PDF by LibreOffice (Wingdings boxes as Unicode glyphs)"
    return transform


DOCX_TRANSFORMS: dict[str, Transform] = {
    "T1": t1_bold_headings,
    "T2": t2_heading_styles,
    "T3": t3_split_numbered,
    "T4": t4_hints_in_labels,
    "T5": t5_label_colon_text,
    "T8": t8_revisions,
}
PDF_BASES = ("T0", "T1", "T2", "T3", "T4", "T5", "T6-docx")  # T0: the untouched form
TRANSFORMS: dict[str, Transform] = {
    **DOCX_TRANSFORMS,
    "T6-doc": t6_doc,
    "T6-docx": t6_docx,
    **{f"T7-{b}": t7_pdf(DOCX_TRANSFORMS.get(b, t6_docx if b == "T6-docx" else None)) for b in PDF_BASES},
    "T9": t9_renamed,
}
DESCRIPTIONS = {
    "T1": "（一）加粗标题 + 正文段落（表格只保留基本信息）",
    "T2": "Word 标题样式（Heading 2）+ 正文段落",
    "T3": "一、/1./1、 编号标题，标签分两行（两段或段内换行）",
    "T4": "填写提示移入标签单元格（表格保留）",
    "T5": "标签与正文同一行（已有基础：……）",
    "T6-doc": "LibreOffice 另存为 .doc",
    "T6-docx": "DOCX → .doc → DOCX（LibreOffice）",
    "T8": "修订（w:ins 为内容、w:del 非内容）+ 批注",
    "T9": "扩展名互换（.docx 命名为 .pdf，.pdf/.doc 命名为 .docx/.pdf）",
    **{f"T7-{b}": f"{'原表' if b == 'T0' else b} 经 LibreOffice 导出 PDF" for b in PDF_BASES},
}
for _tid, _fn in TRANSFORMS.items():  # each transform documented in one line
    assert (_fn.__doc__ or "").strip(), _tid


def transform_ids(fmt: str) -> list[str]:
    """The transforms that apply to a form of format `fmt` (docx, doc, pdf)."""
    return list(TRANSFORMS) if fmt == "docx" else ["T9"]


def make_variants(forms: list[Path], out_dir: Path, ids: list[str] | None = None) -> dict[tuple[int, str], Path]:
    """Every transform of every form, LibreOffice steps batched (one call per step for all forms).

    `forms[i]` gets its variants under `out_dir/i/<transform>/`; returns (i, transform id) → file.
    Non-DOCX forms get T9 only.
    """
    out: dict[tuple[int, str], Path] = {}
    wanted = set(ids or TRANSFORMS)
    to_doc_pairs: list[tuple[Path, Path]] = []
    for i, src in enumerate(forms):
        base = out_dir / f"{i:02d}"
        for tid in transform_ids(src.suffix.lower().lstrip(".")):
            if tid in wanted and (tid in DOCX_TRANSFORMS or tid == "T9"):
                out[(i, tid)] = TRANSFORMS[tid](src, base / tid)
        if src.suffix.lower() == ".docx" and wanted & {"T6-doc", "T6-docx", "T7-T6-docx"}:
            out[(i, "T6-doc")] = _target(src, base / "T6-doc", ".doc")
            to_doc_pairs.append((src, out[(i, "T6-doc")]))
    to_doc(to_doc_pairs)
    back = []
    for i, src in enumerate(forms):
        if (i, "T6-doc") in out:
            out[(i, "T6-docx")] = _target(src, out_dir / f"{i:02d}" / "T6-docx", ".docx")
            back.append((out[(i, "T6-doc")], out[(i, "T6-docx")]))
    soffice_convert(back, "docx")
    pdfs = []
    for i, src in enumerate(forms):
        if src.suffix.lower() != ".docx":
            continue
        for b in PDF_BASES:
            made = src if b == "T0" else out.get((i, b))
            if f"T7-{b}" in wanted and made is not None:
                where = out_dir / f"{i:02d}" / f"T7-{b}"
                out[(i, f"T7-{b}")] = _target(src, where, ".pdf")
                pdfs.append((unicode_checkboxes(made, where / "boxes" / made.name), out[(i, f"T7-{b}")]))
    soffice_convert(pdfs, "pdf")
    return {k: v for k, v in out.items() if k[1] in wanted}
