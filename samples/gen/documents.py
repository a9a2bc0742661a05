"""附件1 需求征集表 and 附件2 建设承诺书 as Word documents, blank or filled from the model."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt

from . import rules
from .model import FormData, LetterData, Person
from .ooxml import BODY_FONT, LATIN_FONT, CheckboxFactory, anchor_picture, el, finalize_docx, run_xml

FORM_TITLE = "上海市元宇宙重大应用场景需求征集表"
LETTER_TITLE = "上海市元宇宙重大应用场景建设承诺书"
LETTER_INTRO = (
    "根据《市经济信息化委 市文化旅游局 市卫生健康委 市教委关于征集本市元宇宙重大应用场景需求"
    "“揭榜挂帅”的通知》要求，我单位提交了"
)
LETTER_CLOSING = "本单位自愿遵守以上规定，如有违反，愿承担相关后果及法律责任，并列入诚信失信记录。"
TRUTH_PLEDGE = "我单位申报的所有材料，均真实、完整，如有不实，愿承担相应的责任。"
TRACK_TITLES = {"工业": "工业赛道", "文旅": "文旅赛道", "医疗": "医疗赛道", "教育": "教育赛道"}

TABLE_PT = 10.5  # 五号
LETTER_PT = 12  # 小四

# Grid of the big table (cm): label | sub-label | value ... ; rows span these columns differently.
GRID_CM = [2.6, 1.6, 2.4, 2.2, 1.6, 1.2, 4.4]

LABELS = {
    "lead_unit_name": ("牵头单位名称", "牵头单位名称"),
    "lead_unit_code": ("组织机构代码/三证合一码", "组织机构代码／三证合一码"),
    "scenario_name": ("场景名称", "场景名称"),
    "direction": ("申报场景方向", "申报场景方向"),
    "address": ("场景所在地址", "场景所在地址"),
    "leader": ("负责人", "负 责 人"),
    "contact": ("联系人", "联 系 人"),
    "unit_nature": ("单位性质", "单 位 性 质"),
    "joint_units": ("联合申报单位（如有）", "联合申报单位(如有)"),
    "name": ("姓名", "姓  名"),
    "phone": ("电话", "电  话"),
    "title": ("职务", "职  务"),
    "mobile": ("手机", "手  机"),
    "fax": ("传真", "传  真"),
    "email": ("E-mail", "Email"),
}
PERSON_LAYOUT = [[("name", "phone"), ("title", "mobile"), ("fax", "email")]]
PERSON_LAYOUT_REORDERED = [[("name", "title"), ("mobile", "phone"), ("email", "fax")]]
JOINT_HEADER = ["单位名称", "单位性质", "单位特色、优势", "组织机构代码/三证合一码"]


def new_document():
    """An A4 document whose Normal style is 宋体 五号, as the notice's forms are."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.54), Cm(2.54)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(TABLE_PT)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    core = doc.core_properties
    core.author, core.last_modified_by, core.comments = "Administrator", "Administrator", ""
    core.title = ""
    core.created = core.modified = datetime(2023, 10, 24, 9, 12, 0)
    core.revision = 3
    return doc


def save(doc, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    finalize_docx(path)


def docx_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- paragraphs ----------------------------------------------------------------------------------
def _para(container, align=None, indent_chars: float | None = None, size=TABLE_PT, space_before=0):
    p = container.add_paragraph()
    if align is not None:
        p.alignment = align
    pf = p.paragraph_format
    pf.space_before = Pt(space_before)
    if indent_chars:
        pf.first_line_indent = Pt(size * indent_chars)
    return p


def _add_runs(p, xml: str) -> None:
    for node in el(xml):
        p._p.append(node)


def _text(p, text: str, size=TABLE_PT, bold=False, underline=False) -> None:
    _add_runs(p, run_xml(text, size_pt=size, bold=bold, underline=underline))


def _cell_paragraph(cell):
    """The cell's only paragraph while it is still empty, otherwise a new one."""
    paragraphs = cell.paragraphs
    if len(paragraphs) == 1 and not paragraphs[0]._p.xpath("./w:r|./w:sdt|./w:bookmarkStart"):
        return paragraphs[0]
    return cell.add_paragraph()


def _cell_text(cell, text: str | None, align=None, bold=False, size=TABLE_PT) -> None:
    p = _cell_paragraph(cell)
    if align is not None:
        p.alignment = align
    if text:
        _text(p, text, size=size, bold=bold)


def _label(cell, text: str) -> None:
    _cell_text(cell, text, align=WD_ALIGN_PARAGRAPH.CENTER)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _row_height(row, cm: float) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(el(f'<w:trHeight w:val="{int(cm * 567)}" w:hRule="atLeast"/>')[0])


# --- 附件1 ---------------------------------------------------------------------------------------
def build_form(doc, form: FormData | None) -> None:
    """Append the form; `form=None` gives the blank template."""
    variants = 1 if form is not None and form.label_variants else 0
    label = {key: pair[variants] for key, pair in LABELS.items()}
    boxes = CheckboxFactory()

    _text(_para(doc, WD_ALIGN_PARAGRAPH.CENTER, size=18), FORM_TITLE, size=18, bold=True)
    _para(doc)
    _text(_para(doc), "一、基本信息", size=12, bold=True)

    n_joint = max(3, len(form.joint_units) if form else 0)
    sections = rules.sections()
    n_rows = 5 + 3 + 3 + 1 + (1 + n_joint) + 1 + len(sections) + 1
    table = doc.add_table(rows=n_rows, cols=len(GRID_CM))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for width, cell in zip(GRID_CM, row.cells, strict=True):
            cell.width = Cm(width)
    for width, col in zip(GRID_CM, table.columns, strict=True):
        col.width = Cm(width)

    def full(r: int):
        return table.cell(r, 1).merge(table.cell(r, 6))

    r = 0
    simple = [
        ("lead_unit_name", form.lead_unit_name if form else None),
        ("lead_unit_code", form.lead_unit_code if form else None),
        ("scenario_name", form.scenario_name if form else None),
    ]
    for key, value in simple:
        _label(table.cell(r, 0), label[key])
        _cell_text(full(r), value)
        _row_height(table.rows[r], 0.8)
        r += 1

    _label(table.cell(r, 0), label["direction"])
    _fill_directions(full(r), form, boxes)
    r += 1

    _label(table.cell(r, 0), label["address"])
    _cell_text(full(r), form.address if form else None)
    _row_height(table.rows[r], 0.8)
    r += 1

    for role in ("leader", "contact"):
        person = getattr(form, role) if form else Person(None)
        layout = (PERSON_LAYOUT_REORDERED if form and form.reorder_people else PERSON_LAYOUT)[0]
        head = table.cell(r, 0).merge(table.cell(r + 2, 0))
        _label(head, label[role])
        for i, (left, right) in enumerate(layout):
            row = r + i
            _label(table.cell(row, 1), label[left])
            _cell_text(table.cell(row, 2).merge(table.cell(row, 3)), getattr(person, left))
            _label(table.cell(row, 4), label[right])
            _cell_text(table.cell(row, 5).merge(table.cell(row, 6)), getattr(person, right))
            _row_height(table.rows[row], 0.7)
        r += 3

    _label(table.cell(r, 0), label["unit_nature"])
    _fill_natures(full(r), form, boxes)
    r += 1

    head = table.cell(r, 0).merge(table.cell(r + n_joint, 0))
    _label(head, label["joint_units"])
    spans = [(1, 2), (3, 3), (4, 5), (6, 6)]
    for j, text in enumerate(JOINT_HEADER):
        a, b = spans[j]
        _label(table.cell(r, a).merge(table.cell(r, b)), text)
    for i in range(n_joint):
        row = r + 1 + i
        unit = form.joint_units[i] if form and i < len(form.joint_units) else None
        values = [unit.name, unit.nature, unit.strengths, unit.code] if unit else [None] * 4
        for (a, b), value in zip(spans, values, strict=True):
            _cell_text(table.cell(row, a).merge(table.cell(row, b)), value)
        _row_height(table.rows[row], 0.8)
    r += 1 + n_joint

    heading = table.cell(r, 0).merge(table.cell(r, 6))
    _cell_text(heading, "二、具体内容", bold=True, size=12)
    r += 1

    for sec in sections:
        _label(table.cell(r, 0), sec.label)
        cell = full(r)
        paragraphs = form.sections.get(sec.key, []) if form else []
        if form is None or sec.key in form.hints_kept or not paragraphs:
            if form is None or sec.key in form.hints_kept:
                _cell_text(cell, sec.hint)
        for text in paragraphs:
            p = _cell_paragraph(cell)
            p.paragraph_format.first_line_indent = Pt(TABLE_PT * 2)
            _text(p, text)
        _row_height(table.rows[r], 3.2 if sec.limit >= 1000 else 2.4)
        r += 1

    _label(table.cell(r, 0), "真实性承诺")
    cell = full(r)
    p = _cell_paragraph(cell)
    p.paragraph_format.first_line_indent = Pt(TABLE_PT * 2)
    _text(p, TRUTH_PLEDGE)
    for _ in range(2):
        _cell_paragraph(cell)
    for text in ("负责人签字（章）：           ", "公章：           ", "年    月    日"):
        p = _cell_paragraph(cell)
        p.paragraph_format.left_indent = Cm(6.5)
        _text(p, text)
    _row_height(table.rows[r], 4.0)


def _option(cell, encoding: str, checked: bool, label_text: str, boxes: CheckboxFactory, p=None):
    p = p or _cell_paragraph(cell)
    _add_runs(p, boxes.before(encoding, checked, TABLE_PT) + run_xml(label_text, size_pt=TABLE_PT))
    suffix = boxes.after(encoding, checked, TABLE_PT)
    if suffix:
        _add_runs(p, suffix)
    return p


def _fill_directions(cell, form: FormData | None, boxes: CheckboxFactory) -> None:
    encoding = form.direction_encoding if form else "glyph"
    checked = set(form.directions) if form else set()
    for track, items in rules.directions_by_track().items():
        _cell_text(cell, TRACK_TITLES[track], bold=True)
        for i, direction in enumerate(items, start=1):
            _option(cell, encoding, direction in checked, f"方向{i}：{direction}", boxes)


def _fill_natures(cell, form: FormData | None, boxes: CheckboxFactory) -> None:
    encoding = form.nature_encoding if form else "glyph"
    checked = set(form.unit_natures) if form else set()
    natures = rules.unit_natures()
    p = _cell_paragraph(cell)
    for nature in natures[:5]:
        _option(cell, encoding, nature in checked, nature + "  ", boxes, p=p)
    p = _cell_paragraph(cell)
    _option(cell, encoding, "外资企业" in checked, "外资企业  ", boxes, p=p)
    _option(cell, encoding, "其他" in checked, "其他(请注明):", boxes, p=p)
    other = form.unit_nature_other if form else None
    _add_runs(p, run_xml(other if other else "　　　　　　　　", size_pt=TABLE_PT, underline=True))


# --- 附件2 ---------------------------------------------------------------------------------------
def build_letter(doc, letter: LetterData | None, seal_png: bytes | None = None) -> None:
    """Append the commitment letter; `letter=None` gives the blank template."""
    size = LETTER_PT
    title = _para(doc, WD_ALIGN_PARAGRAPH.CENTER, size=22)
    _text(title, LETTER_TITLE, size=18, bold=True)
    title.paragraph_format.space_after = Pt(14)

    def body(text: str | None = None, indent=True):
        p = _para(doc, indent_chars=2 if indent else None, size=size)
        p.paragraph_format.line_spacing = Pt(21)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST  # an inline seal may grow the line
        if text:
            _text(p, text, size=size)
        return p

    p = body(LETTER_INTRO)
    if letter is None:
        _text(p, "________", size=size)
    else:
        _text(p, letter.scenario_name, size=size, underline=True)
    _text(p, "参评。", size=size)
    body("现就有关情况承诺如下：")
    clauses = letter.clauses if letter else rules.official_clauses()
    for i, clause in enumerate(clauses, start=1):
        body(f"{i}.{clause}")
    body(LETTER_CLOSING).paragraph_format.space_before = Pt(12)
    body()

    def sign(label_text: str, value: str | None):
        p = body(indent=False)
        p.paragraph_format.left_indent = Cm(6.0)
        _text(p, label_text, size=size)
        _text(p, value if value else "        ", size=size)
        return p

    sign("联系人：", letter.contact if letter else None)
    sign("联系电话：", letter.contact_phone if letter else None)
    sign("法定代表人（签字）：", letter.legal_rep if letter else None)
    seal_para = sign("单位（单位盖章）：", letter.unit_name if letter else None)
    date_text = letter.date_text if letter and letter.date_text else "2023年  月   日"
    p = body(indent=False)
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.right_indent = Cm(1.5)
    _text(p, date_text, size=size)

    if letter and letter.seal and seal_png:
        _add_seal(seal_para, seal_png, floating=letter.seal == "floating")


def _add_seal(paragraph, seal_png: bytes, floating: bool) -> None:
    run = paragraph.add_run()
    run.add_picture(io.BytesIO(seal_png), width=Cm(4.0 if floating else 3.5))
    if floating:
        drawing = run._r.find(qn("w:drawing"))
        anchor_picture(drawing, offset_x_emu=int(Emu(Cm(8.6))), offset_y_emu=-int(Emu(Cm(1.3))))


def page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
