"""Builds realistic 附件1/附件2 DOCX files with python-docx plus raw OOXML edits, for the DOCX tests.

Every checkbox encoding seen in real submissions can be written (`BOXES`), labels can be spelled
the way applicants mangle them, and the layout follows the official template: one table with the
负责人/联系人 3×4 sub-grids (label cell merged over three rows) and the joint-unit table.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from PIL import Image, ImageDraw

from pipeline.config import load_rules

W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'

DIRECTIONS = {
    "工业赛道": ["元宇宙+产线", "元宇宙+工厂", "元宇宙+工业园区"],
    "文旅赛道": ["元宇宙+数字文化", "元宇宙+智慧旅游", "元宇宙+在线演艺", "元宇宙+数字艺术品", "元宇宙+内容创作"],
    "医疗赛道": ["元宇宙+医疗数字人", "元宇宙+远程医疗", "元宇宙+临床诊疗", "元宇宙+健康管理", "元宇宙+医学教育",
                 "元宇宙+智慧医院", "元宇宙+公共卫生", "元宇宙+其他方向"],
    "教育赛道": ["元宇宙+直播教学", "元宇宙+虚拟智慧课堂", "元宇宙+个性化自适应学习", "元宇宙+虚拟仿真实训", "元宇宙+学情评价"],
}
NATURES = ["国家机关", "事业单位", "社会团体", "国有企业", "民营企业", "外资企业", "其他"]
HINTS = {
    "lead_unit_intro": "(包括公司基本情况、研发力量等，不超过400字)",
    "scenario_overview": "(围绕拟建、在建的具体应用场景，请逐条描述，包括但不限于建设背景、总体目标、建设内容、建设周期、项目创新点、项目建成后的预期成效、拟合作单位等，不超过2000字)",
    "existing_foundation": "(请简要阐述本单位在元宇宙应用场景建设方面已有的基础，不超过500字)",
    "requirement_analysis": "(目前场景建设中的主要需求分析，如功能及性能需求、系统集成需求、数据需求、运行环境、安全需求、其他需求等，不超过1000字)",
    "timeline": "(包括场景建设总周期以及实施进度详细计划，不超过500字)",
    "stage_goals": "(根据时间进度安排拟出阶段性目标，不超过500字)",
    "funding": "(包括场景建设总投入资金及资金来源与落实情况介绍，不超过500字)",
}
SECTION_LABELS = {
    "lead_unit_intro": "牵头单位\n基本情况介绍", "scenario_overview": "场景建设概述", "existing_foundation": "已有基础",
    "requirement_analysis": "需求分析", "timeline": "时间进度", "stage_goals": "阶段性目标", "funding": "资金投入",
}
GRID_CM = [2.8, 2.0, 4.2, 2.0, 4.6]
# The official commitments, as the rules file has them (one source for tests and pipeline).
CLAUSES = list(load_rules().raw["letter"]["clauses"])


@dataclass
class Person:
    name: str = ""
    phone: str = ""
    title: str = ""
    mobile: str = ""
    fax: str = ""
    email: str = ""


@dataclass
class FormSpec:
    lead_unit_name: str = "上海云境数字科技有限公司"
    lead_unit_code: str = "91310115MA1K4XYZ1X"
    scenario_name: str = "汽车总装产线数字孪生巡检平台"
    directions: list[str] = field(default_factory=lambda: ["元宇宙+产线"])
    address: str = "上海市嘉定区安亭镇墨玉南路888号"
    leader: Person = field(default_factory=lambda: Person("王建国", "021-69581234", "总经理", "13812345678", "021-69581235", "wangjg@yunjing.cn"))
    contact: Person = field(default_factory=lambda: Person("李晓梅", "021-69581236", "项目经理", "13987654321", "", "lixm@yunjing.cn"))
    natures: list[str] = field(default_factory=lambda: ["民营企业"])
    nature_other: str = ""
    joint_units: list[tuple[str, str, str, str]] = field(default_factory=lambda: [
        ("上海交通大学", "事业单位", "数字孪生与工业软件研究基础雄厚", "12100000425006117P"),
    ])
    sections: dict[str, list[str]] = field(default_factory=lambda: {
        "lead_unit_intro": ["上海云境数字科技有限公司成立于2016年，专注工业数字孪生。", "公司现有研发人员90人，拥有发明专利26项。"],
        "scenario_overview": ["建设背景：汽车总装产线巡检依赖人工。", "总体目标：建成产线数字孪生巡检平台，实现5G+AR远程协同。"],
        "existing_foundation": ["已完成一期产线三维建模，积累设备数据3年。"],
        "requirement_analysis": ["功能需求：实时映射产线状态；数据需求：接入PLC数据。"],
        "timeline": ["2023年12月启动，2024年12月完成验收。"],
        "stage_goals": ["2024年6月完成平台上线。"],
        "funding": ["总投资1200万元，其中自筹1000万元。"],
    })
    hints_kept: set[str] = field(default_factory=lambda: {"scenario_overview"})
    box: str = "glyph"  # one of BOXES
    label_variants: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # printed label → how this applicant wrote it
    reorder_people: bool = False


@dataclass
class LetterSpec:
    scenario_name: str = "《汽车总装产线数字孪生巡检平台》"
    clauses: list[str] = field(default_factory=lambda: list(CLAUSES))
    numbering: str = "{n}."
    contact: str = "李晓梅"
    phone: str = "13987654321"
    date: str = "2023年11月10日"
    seal: str | None = "inline"  # inline | floating | vml | None
    underline_name: bool = False


# Checkbox encodings ------------------------------------------------------------------------------

def _run_xml(inner: str, font: str | None = None) -> str:
    rpr = f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}"/></w:rPr>' if font else ""
    return f"<w:r {nsdecls('w')}>{rpr}{inner}</w:r>"


def _text_run(text: str, font: str | None = None) -> str:
    return _run_xml(f'<w:t xml:space="preserve">{text}</w:t>', font)


def box_xml(kind: str, checked: bool) -> list[str]:
    """OOXML run(s) for one checkbox in encoding `kind`."""
    if kind == "glyph":
        return [_text_run("☑" if checked else "□")]
    if kind == "glyph_x":
        return [_text_run("☒" if checked else "☐")]
    if kind == "square":
        return [_text_run("■" if checked else "□")]
    if kind == "tick_before":
        return [_text_run("√□" if checked else "□")]
    if kind == "tick_after":
        return [_text_run("□√" if checked else "□")]
    if kind == "check_mark":
        return [_text_run("✔☐" if checked else "☐")]
    if kind == "wingdings2":
        return [_run_xml('<w:t>R</w:t>' if checked else '<w:t>£</w:t>', "Wingdings 2")]
    if kind == "wingdings2_s":
        return [_run_xml('<w:t>S</w:t>' if checked else '<w:t>£</w:t>', "Wingdings 2")]
    if kind == "sym":
        return [_run_xml(f'<w:sym w:font="Wingdings" w:char="{"F0FE" if checked else "F0A8"}"/>')]
    if kind == "sym_x":
        return [_run_xml(f'<w:sym w:font="Wingdings" w:char="{"F078" if checked else "F0A8"}"/>')]
    if kind == "wingdings_text":
        return [_run_xml('<w:t>þ</w:t>' if checked else '<w:t>¨</w:t>', "Wingdings")]
    if kind == "pua":
        return [_run_xml(f'<w:t>{chr(0xF0FE) if checked else chr(0xF0A8)}</w:t>', "Wingdings")]
    if kind == "sdt":
        val = "1" if checked else "0"
        glyph = "☒" if checked else "☐"
        return [f'<w:sdt {nsdecls("w")} {W14}><w:sdtPr><w14:checkbox><w14:checked w14:val="{val}"/>'
                f'<w14:checkedState w14:val="2612" w14:font="MS Gothic"/><w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
                f'</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr>'
                f'<w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>']
    if kind in ("legacy", "legacy_default"):
        state = ('<w:default w:val="0"/><w:checked/>' if checked else '<w:default w:val="0"/>') if kind == "legacy" else (
            f'<w:default w:val="{1 if checked else 0}"/>')
        return [
            _run_xml(f'<w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/><w:enabled/><w:calcOnExit w:val="0"/>'
                     f'<w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar>'),
            _run_xml('<w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText>'),
            _run_xml('<w:fldChar w:fldCharType="separate"/>'),
            _run_xml('<w:fldChar w:fldCharType="end"/>'),
        ]
    raise ValueError(kind)


BOXES = ["glyph", "glyph_x", "square", "tick_before", "tick_after", "check_mark", "wingdings2", "wingdings2_s", "sym",
         "sym_x", "wingdings_text", "pua", "sdt", "legacy", "legacy_default"]


def add_option(paragraph, label: str, checked: bool, kind: str, after: bool = False, prefix: str = "") -> None:
    """One option: box then label (or label then box), as runs appended to `paragraph`."""
    runs = [parse_xml(x) for x in box_xml(kind, checked)]
    text = parse_xml(_text_run(prefix + label + " "))
    seq = [text, *runs] if after else [*runs, text]
    for el in seq:
        paragraph._p.append(el)


# Tables ------------------------------------------------------------------------------------------

def _set_text(cell, text: str) -> None:
    lines = text.split("\n")
    cell.paragraphs[0].text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def _merge_right(row, start: int, end: int):
    return row.cells[start].merge(row.cells[end])


def _label(text: str, spec: FormSpec) -> str:
    if text in spec.labels:
        return spec.labels[text]
    if not spec.label_variants:
        return text
    swaps = {"姓名": "姓  名", "电话": "电 话", "E-mail": "邮箱", "单位性质": "单 位 性 质", "场景名称": "场景名称：",
             "牵头单位名称": "牵头单位名称（全称）", "组织机构代码/三证合一码": "组织机构代码／三证合一码", "职务": "职  务"}
    return swaps.get(text, text)


def build_form(doc, spec: FormSpec) -> None:
    doc.add_paragraph("附件1")
    doc.add_paragraph("上海市元宇宙重大应用场景需求征集表")
    doc.add_paragraph("一、基本信息")
    t = doc.add_table(rows=0, cols=5)
    t.style = doc.styles["Table Grid"]
    t.autofit = False
    for col, width in zip(t.columns, GRID_CM, strict=True):
        col.width = Cm(width)
    v = spec

    def add_row():
        row = t.add_row()
        for cell, width in zip(row.cells, GRID_CM, strict=True):
            cell.width = Cm(width)
        return row

    def simple(label: str, value: str) -> None:
        r = add_row()
        _set_text(r.cells[0], _label(label, v))
        _set_text(_merge_right(r, 1, 4), value)

    simple("牵头单位名称", spec.lead_unit_name)
    simple("组织机构代码/三证合一码", spec.lead_unit_code)
    simple("场景名称", spec.scenario_name)
    r = add_row()
    _set_text(r.cells[0], _label("申报场景方向", v))
    cell = _merge_right(r, 1, 4)
    cell.paragraphs[0].text = ""
    first = True
    for track, options in DIRECTIONS.items():
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.add_run(track)
        for i, opt in enumerate(options, 1):
            q = cell.add_paragraph()
            add_option(q, opt, opt in spec.directions, spec.box, prefix=f"方向{i}：")
    simple("场景所在地址", spec.address)
    people = [("负责人", spec.leader), ("联系人", spec.contact)]
    if spec.reorder_people:
        people.reverse()
    for head, person in people:
        rows = [add_row() for _ in range(3)]
        grid = [("姓名", person.name, "电话", person.phone), ("职务", person.title, "手机", person.mobile),
                ("传真", person.fax, "E-mail", person.email)]
        if spec.reorder_people:
            grid = [grid[1], grid[2], grid[0]]
        for row, (a, av, b, bv) in zip(rows, grid, strict=True):
            for i, text in enumerate((_label(a, v), av, _label(b, v), bv), 1):
                _set_text(row.cells[i], text)
        merged = rows[0].cells[0].merge(rows[2].cells[0])
        _set_text(merged, _label(head, v))
    r = add_row()
    _set_text(r.cells[0], _label("单位性质", v))
    cell = _merge_right(r, 1, 4)
    p = cell.paragraphs[0]
    for n in NATURES:
        add_option(p, n + ("(请注明): " + spec.nature_other if n == "其他" else ""), n in spec.natures, spec.box)
    rows = [add_row() for _ in range(4)]
    for i, text in enumerate(("单位名称", "单位性质", "单位特色、优势", "组织机构代码/三证合一码"), 1):
        _set_text(rows[0].cells[i], text)
    for row, unit in zip(rows[1:], spec.joint_units, strict=False):
        for i, text in enumerate(unit, 1):
            _set_text(row.cells[i], text)
    merged = rows[0].cells[0].merge(rows[3].cells[0])
    _set_text(merged, _label("联合申报单位\n（如有）", v))
    r = add_row()
    _set_text(_merge_right(r, 0, 4), "二、具体内容")
    for key, label in SECTION_LABELS.items():
        r = add_row()
        _set_text(r.cells[0], _label(label, v))
        cell = _merge_right(r, 1, 4)
        lines = ([HINTS[key]] if key in spec.hints_kept else []) + spec.sections.get(key, [])
        _set_text(cell, "\n".join(lines))
    r = add_row()
    _set_text(r.cells[0], "真实性承诺")
    _set_text(_merge_right(r, 1, 4), "我单位申报的所有材料，均真实、完整，如有不实，愿承担相应的责任。\n负责人签字（章）：\n公章：\n年 月 日")


def seal_png(size: int = 160, red: bool = True) -> bytes:
    """A red ring with a star: what a scanned unit seal looks like."""
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    color = (220, 30, 30, 255) if red else (40, 40, 40, 255)
    d.ellipse((4, 4, size - 4, size - 4), outline=color, width=max(3, size // 20))
    c = size / 2
    d.polygon([(c, c - size * 0.2), (c + size * 0.06, c - size * 0.05), (c + size * 0.2, c - size * 0.05),
               (c + size * 0.09, c + size * 0.05), (c + size * 0.13, c + size * 0.2), (c, c + size * 0.11),
               (c - size * 0.13, c + size * 0.2), (c - size * 0.09, c + size * 0.05), (c - size * 0.2, c - size * 0.05),
               (c - size * 0.06, c - size * 0.05)], fill=color)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _floating(inline_run) -> None:
    """Turn the run's wp:inline picture into a floating wp:anchor one."""
    inline = inline_run._r.find(f".//{qn('wp:inline')}")
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp")} distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="2" '
        'behindDoc="1" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>3000000</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>-500000</wp:posOffset></wp:positionV>'
        '<wp:extent cx="1440000" cy="1440000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        '<wp:docPr id="99" name="seal"/></wp:anchor>')
    for child in inline:
        if child.tag in (qn("wp:graphic"),) or child.tag.endswith("}graphic"):
            anchor.append(copy.deepcopy(child))
    inline.getparent().replace(inline, anchor)


def _vml(inline_run) -> None:
    """Replace the run's DrawingML picture by a legacy VML one (w:pict/v:shape/v:imagedata)."""
    blip = inline_run._r.find(f".//{qn('a:blip')}")
    rid = blip.get(qn("r:embed"))
    drawing = inline_run._r.find(qn("w:drawing"))
    pict = parse_xml(
        f'<w:pict {nsdecls("w", "r")} xmlns:v="urn:schemas-microsoft-com:vml"><v:shape id="seal" style="width:113pt;height:113pt">'
        f'<v:imagedata r:id="{rid}" o:title="" xmlns:o="urn:schemas-microsoft-com:office:office"/></v:shape></w:pict>')
    drawing.getparent().replace(drawing, pict)


def build_letter(doc, spec: LetterSpec) -> None:
    doc.add_paragraph("附件2")
    doc.add_paragraph("上海市元宇宙重大应用场景建设承诺书")
    p = doc.add_paragraph("根据《市经济信息化委 市文化旅游局 市卫生健康委 市教委关于征集本市元宇宙重大应用场景需求“揭榜挂帅”的通知》要求，我单位提交了")
    run = p.add_run(spec.scenario_name)
    run.underline = spec.underline_name
    p.add_run("参评。")
    doc.add_paragraph("现就有关情况承诺如下：")
    for n, clause in enumerate(spec.clauses, 1):
        doc.add_paragraph(spec.numbering.format(n=n) + clause)
    doc.add_paragraph("本单位自愿遵守以上规定，如有违反，愿承担相关后果及法律责任，并列入诚信失信记录。")
    doc.add_paragraph(f"联系人：{spec.contact}")
    doc.add_paragraph(f"联系电话：{spec.phone}")
    doc.add_paragraph("法定代表人（签字）：")
    p = doc.add_paragraph("单位（单位盖章）：")
    if spec.seal:
        run = p.add_run()
        run.add_picture(io.BytesIO(seal_png()), width=Pt(113))
        if spec.seal == "floating":
            _floating(run)
        elif spec.seal == "vml":
            _vml(run)
    doc.add_paragraph(spec.date)


def make_docx(path: Path, form: FormSpec | None = None, letter: LetterSpec | None = None) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    if form is not None:
        build_form(doc, form)
    if form is not None and letter is not None:
        doc.add_page_break()
    if letter is not None:
        build_letter(doc, letter)
    doc.add_paragraph()  # Word always ends a document with a paragraph (LibreOffice's .doc export needs it)
    doc.save(path)
    return path


def set_paragraph_font(paragraph, font: str) -> None:
    rpr = paragraph._p.get_or_add_pPr()
    fonts = OxmlElement("w:rFonts")
    fonts.set(qn("w:ascii"), font)
    rpr.append(fonts)
