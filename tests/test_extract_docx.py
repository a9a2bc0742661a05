"""DOCX and legacy .doc extraction on real files built in the test (python-docx + raw OOXML)."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.extract import ExtractOptions, extract_file
from pipeline.extract.docx import read_docx
from pipeline.safety import Limits

try:
    from .docx_factory import BOXES, CLAUSES, FormSpec, LetterSpec, Person, add_option, make_docx, seal_png
except ImportError:  # tests/ run as a plain directory
    from docx_factory import BOXES, CLAUSES, FormSpec, LetterSpec, Person, add_option, make_docx, seal_png

EXPECTED_FORM = {
    "lead_unit_name": "上海云境数字科技有限公司",
    "lead_unit_code": "91310115MA1K4XYZ1X",
    "scenario_name": "汽车总装产线数字孪生巡检平台",
    "direction": "元宇宙+产线",
    "track": "工业",
    "address": "上海市嘉定区安亭镇墨玉南路888号",
    "leader_name": "王建国", "leader_phone": "021-69581234", "leader_title": "总经理", "leader_mobile": "13812345678",
    "leader_fax": "021-69581235", "leader_email": "wangjg@yunjing.cn",
    "contact_name": "李晓梅", "contact_phone": "021-69581236", "contact_title": "项目经理", "contact_mobile": "13987654321",
    "contact_fax": None, "contact_email": "lixm@yunjing.cn",
    "unit_nature": "民营企业", "unit_nature_other": None,
    "joint_units": [{"name": "上海交通大学", "nature": "事业单位", "strengths": "数字孪生与工业软件研究基础雄厚",
                     "code": "12100000425006117P"}],
    "sections": {
        "lead_unit_intro": "上海云境数字科技有限公司成立于2016年，专注工业数字孪生。\n公司现有研发人员90人，拥有发明专利26项。",
        "scenario_overview": "建设背景：汽车总装产线巡检依赖人工。\n总体目标：建成产线数字孪生巡检平台，实现5G+AR远程协同。",
        "existing_foundation": "已完成一期产线三维建模，积累设备数据3年。",
        "requirement_analysis": "功能需求：实时映射产线状态；数据需求：接入PLC数据。",
        "timeline": "2023年12月启动，2024年12月完成验收。",
        "stage_goals": "2024年6月完成平台上线。",
        "funding": "总投资1200万元，其中自筹1000万元。",
    },
}
EXPECTED_LETTER = {
    "letter_scenario_name": "汽车总装产线数字孪生巡检平台",
    "letter_clauses": CLAUSES,
    "letter_contact": "李晓梅",
    "letter_contact_phone": "13987654321",
    "letter_date": "2023-11-10",
    "letter_has_seal": True,
}


def _extract(rules, path: Path, display: str | None = None, **opts):
    return extract_file(path, display or path.name, rules, ExtractOptions(**opts))


def _docs(result):
    assert not result.problems, result.problems
    return {d.kind: d for d in result.documents}


def test_form_and_letter_in_one_file(rules, tmp_path):
    res = _extract(rules, make_docx(tmp_path / "both.docx", FormSpec(), LetterSpec()))
    docs = _docs(res)
    assert res.source.kind == "both" and res.source.format == "docx"
    assert docs["form"].fields == EXPECTED_FORM
    assert docs["letter"].fields == EXPECTED_LETTER
    assert not docs["form"].notes and not docs["letter"].notes and not res.notes


def test_every_extracted_key_has_provenance(rules, tmp_path):
    res = _extract(rules, make_docx(tmp_path / "both.docx", FormSpec(), LetterSpec()))
    for doc in res.documents:
        for key in doc.fields:
            assert key in doc.provenance, key
            p = doc.provenance[key]
            assert p.file == "both.docx" and (p.paragraph is not None or (p.table is not None and p.row is not None))
    form = _docs(res)["form"]
    assert form.provenance["leader_email"].describe() == "表1 第8行第5列"
    assert form.provenance["sections.funding"].col == 1


@pytest.mark.parametrize("box", BOXES)
def test_checkbox_encoding(rules, tmp_path, box):
    spec = FormSpec(box=box, directions=["元宇宙+工厂", "元宇宙+学情评价"], natures=["其他"], nature_other="合伙企业")
    res = _extract(rules, make_docx(tmp_path / f"{box}.docx", spec))
    form = _docs(res)["form"]
    assert form.fields["direction"] == ["元宇宙+工厂", "元宇宙+学情评价"]
    assert form.fields["track"] == ["工业", "教育"]
    assert form.fields["unit_nature"] == "其他" and form.fields["unit_nature_other"] == "合伙企业"
    assert not form.notes and not res.notes


@pytest.mark.parametrize("box", ["glyph", "sym", "sdt", "legacy", "wingdings2"])
def test_checkbox_encoding_none_checked(rules, tmp_path, box):
    res = _extract(rules, make_docx(tmp_path / f"{box}.docx", FormSpec(box=box, directions=[], natures=[])))
    form = _docs(res)["form"]
    assert form.fields["direction"] is None and form.fields["track"] is None and form.fields["unit_nature"] is None
    assert not form.notes


def _form_with_direction_cell(tmp_path: Path, fill) -> Path:
    """A minimal form whose direction cell is written by `fill(paragraph)`."""
    doc = Document()
    doc.add_paragraph("上海市元宇宙重大应用场景需求征集表")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "牵头单位名称", "上海某某科技有限公司"
    t.cell(1, 0).text = "申报场景方向"
    fill(t.cell(1, 1).paragraphs[0])
    path = tmp_path / "dir.docx"
    doc.save(path)
    return path


def test_boxes_after_labels(rules, tmp_path):
    def fill(p):
        add_option(p, "元宇宙+产线", False, "sym", after=True)
        add_option(p, "元宇宙+工厂", True, "sym", after=True)
    form = _docs(_extract(rules, _form_with_direction_cell(tmp_path, fill)))["form"]
    assert form.fields["direction"] == "元宇宙+工厂"


def test_unknown_symbol_is_a_note_not_unchecked(rules, tmp_path):
    def fill(p):
        add_option(p, "元宇宙+产线", False, "sym")
        p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="Wingdings" w:char="F06C"/></w:r>'))
        p._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>元宇宙+工厂</w:t></w:r>'))
        add_option(p, "元宇宙+工业园区", False, "sym")
    res = _extract(rules, _form_with_direction_cell(tmp_path, fill))
    form = _docs(res)["form"]
    assert form.fields["direction"] is None
    assert any("U+F06C" in n.message for n in res.notes)
    assert any("元宇宙+工厂" in n.message for n in form.notes)


def test_option_label_without_box_is_noted(rules, tmp_path):
    def fill(p):
        add_option(p, "元宇宙+产线", False, "glyph")
        p.add_run("元宇宙+工厂 ")
        add_option(p, "元宇宙+工业园区", False, "glyph")
    form = _docs(_extract(rules, _form_with_direction_cell(tmp_path, fill)))["form"]
    assert form.fields["direction"] is None
    assert [n for n in form.notes if "元宇宙+工厂" in n.message and "勾选框" in n.message]


def test_label_variants_and_reordered_people(rules, tmp_path):
    spec = FormSpec(label_variants=True, reorder_people=True)
    form = _docs(_extract(rules, make_docx(tmp_path / "v.docx", spec)))["form"]
    for key, value in EXPECTED_FORM.items():
        assert form.fields[key] == value, key


@pytest.mark.parametrize(("printed", "written"), [
    ("牵头单位名称", "牵头单位名称（全称）"),
    ("牵头单位名称", "申报单位名称："),
    ("组织机构代码/三证合一码", "组织机构代码／三证合一码"),
    ("组织机构代码/三证合一码", "统一社会信用代码"),
    ("组织机构代码/三证合一码", "组织机构代码\n/三证合一码"),
    ("场景名称", "场 景 名 称"),
    ("申报场景方向", "申报方向"),
    ("场景所在地址", "场景地址"),
    ("负责人", "负 责 人"),
    ("联系人", "联  系  人"),
    ("姓名", "姓  名"),
    ("电话", "办公电话"),
    ("手机", "移动电话"),
    ("E-mail", "Email"),
    ("E-mail", "邮箱"),
    ("E-mail", "Ｅ－ｍａｉｌ"),
    ("单位性质", "单 位 性 质"),
    ("联合申报单位\n（如有）", "联合申报单位(如有)"),
    ("牵头单位\n基本情况介绍", "牵头单位基本情况"),
    ("场景建设概述", "场景建设概述："),
])
def test_label_variant(rules, tmp_path, printed, written):
    form = _docs(_extract(rules, make_docx(tmp_path / "v.docx", FormSpec(labels={printed: written}))))["form"]
    assert {k: form.fields[k] for k in EXPECTED_FORM} == EXPECTED_FORM


def test_hint_kept_with_text_typed_after_it(rules, tmp_path):
    spec = FormSpec(hints_kept={"funding"})
    spec.sections["timeline"] = ["（包括场景建设总周期以及实施进度详细计划，不超过500字）2023年12月启动。", "2024年完成。"]
    spec.sections["funding"] = []
    form = _docs(_extract(rules, make_docx(tmp_path / "h.docx", spec)))["form"]
    assert form.fields["sections"]["timeline"] == "2023年12月启动。\n2024年完成。"
    assert form.fields["sections"]["funding"] == ""


def test_merged_cells_are_read_once(rules, tmp_path):
    path = make_docx(tmp_path / "m.docx", FormSpec())
    layout = read_docx(path, "m.docx", ExtractOptions())
    leader = [b for b in layout.blocks if b.text == "负责人"]
    assert len(leader) == 1 and leader[0].row_span == 3
    name_cells = [b for b in layout.blocks if b.text == "上海云境数字科技有限公司"]
    assert len(name_cells) == 1 and name_cells[0].col_span == 4 and name_cells[0].prov.col == 1
    seen = [(b.prov.table, b.prov.row, b.prov.col) for b in layout.blocks if b.kind == "cell"]
    assert len(seen) == len(set(seen))
    rows = [b for b in layout.blocks if b.kind == "cell" and b.new_row]
    assert len(rows) == len({(b.prov.table, b.prov.row) for b in layout.blocks if b.kind == "cell"})


def test_nested_person_grid_text_box_and_content_control(rules, tmp_path):
    doc = Document()
    doc.add_paragraph("上海市元宇宙重大应用场景需求征集表")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "牵头单位名称", ""
    sdt = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="单位"/></w:sdtPr><w:sdtContent>'
                    '<w:r><w:t>上海某某科技有限公司</w:t></w:r></w:sdtContent></w:sdt>')
    t.cell(0, 1).paragraphs[0]._p.append(sdt)
    placeholder = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>'
                            '<w:r><w:t>单击或点击此处输入文字。</w:t></w:r></w:sdtContent></w:sdt>')
    t.cell(1, 0).text = "负责人"
    inner = t.cell(1, 1).add_table(rows=2, cols=4)
    for (r, c), text in {(0, 0): "姓名", (0, 1): "王建国", (0, 2): "电话", (1, 0): "E-mail", (1, 1): "w@a.cn"}.items():
        inner.cell(r, c).text = text
    inner.cell(0, 3).paragraphs[0]._p.append(placeholder)
    p = doc.add_paragraph()
    p._p.append(parse_xml(
        f'<w:r {nsdecls("w", "wp", "a")} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent><w:p><w:r><w:t>场景名称：文本框里的场景</w:t></w:r></w:p>'
        '</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>场景名称：文本框里的场景</w:t></w:r></w:p>'
        '</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>'))
    path = tmp_path / "n.docx"
    doc.save(path)
    form = _docs(_extract(rules, path))["form"]
    assert form.fields["lead_unit_name"] == "上海某某科技有限公司"
    assert form.fields["leader_name"] == "王建国" and form.fields["leader_email"] == "w@a.cn"
    assert form.fields["leader_phone"] is None
    assert form.fields["scenario_name"] == "文本框里的场景"
    assert form.provenance["leader_name"].table == 1


@pytest.mark.parametrize(("seal", "has_seal"), [("inline", True), ("floating", True), ("vml", True), (None, False)])
def test_letter_seal(rules, tmp_path, seal, has_seal):
    res = _extract(rules, make_docx(tmp_path / "l.docx", letter=LetterSpec(seal=seal)))
    letter = _docs(res)["letter"]
    assert letter.fields["letter_has_seal"] is has_seal
    if has_seal:
        (img,) = letter.images
        assert img.looks_like_seal and img.near_seal_label and img.red_ratio > 0.04 and img.width == 160
        assert img.crop_png_b64
        assert letter.provenance["letter_has_seal"].paragraph == img.prov.paragraph


def test_grey_picture_is_not_a_seal(rules, tmp_path):
    path = make_docx(tmp_path / "g.docx", letter=LetterSpec(seal=None))
    doc = Document(path)
    doc.paragraphs[-2].add_run().add_picture(io.BytesIO(seal_png(red=False)))
    doc.save(path)
    letter = _docs(_extract(rules, path))["letter"]
    assert letter.fields["letter_has_seal"] is False and len(letter.images) == 1


@pytest.mark.parametrize(("spec", "expected"), [
    (LetterSpec(scenario_name="汽车总装产线数字孪生巡检平台", underline_name=True), "汽车总装产线数字孪生巡检平台"),
    (LetterSpec(scenario_name="  《 汽车总装产线数字孪生巡检平台 》  "), "汽车总装产线数字孪生巡检平台"),
    (LetterSpec(scenario_name="                      ", date="2023年  月   日", contact="        ", phone=""), None),
])
def test_letter_variants(rules, tmp_path, spec, expected):
    letter = _docs(_extract(rules, make_docx(tmp_path / "l.docx", letter=spec)))["letter"]
    assert letter.fields["letter_scenario_name"] == expected
    if expected is None:
        assert letter.fields["letter_date"] is None and letter.fields["letter_contact"] is None
        assert letter.fields["letter_contact_phone"] is None


@pytest.mark.parametrize(("written", "expected"), [
    ("<script>alert(1)</script>虚拟展厅", "<script>alert(1)</script>虚拟展厅"),
    ("《<script>alert(1)</script>虚拟展厅》", "<script>alert(1)</script>虚拟展厅"),
    ("<b>数字文博虚拟展厅</b>", "<b>数字文博虚拟展厅</b>"),
    ("《清明上河图》沉浸式虚拟展厅", "清明上河图沉浸式虚拟展厅"),
    ("<数字文博虚拟展厅>", "数字文博虚拟展厅"),
    ("“「数字文博虚拟展厅」”", "数字文博虚拟展厅"),
])
def test_letter_scenario_name_keeps_brackets_of_its_own(rules, tmp_path, written, expected):
    """Only title marks and a pair enclosing the whole name are removed, not a lone leading `<`."""
    letter = _docs(_extract(rules, make_docx(tmp_path / "l.docx", letter=LetterSpec(scenario_name=written))))["letter"]
    assert letter.fields["letter_scenario_name"] == expected


@pytest.mark.parametrize(("numbering", "date", "iso"), [
    ("{n}、", "二〇二三年十一月十日", "2023-11-10"),
    ("（{n}）", "二零二三年十一月十三日", "2023-11-13"),
    ("{n}．", "2023 年 11 月 9 日", "2023-11-09"),
])
def test_letter_numbering_and_dates(rules, tmp_path, numbering, date, iso):
    spec = LetterSpec(numbering=numbering, date=date)
    letter = _docs(_extract(rules, make_docx(tmp_path / "l.docx", letter=spec)))["letter"]
    assert letter.fields["letter_clauses"] == CLAUSES and letter.fields["letter_date"] == iso


def test_document_without_title_kept_only_with_key_fields(rules, tmp_path):
    path = make_docx(tmp_path / "nt.docx", FormSpec())
    doc = Document(path)
    title = next(p for p in doc.paragraphs if "需求征集表" in p.text)
    title.text = ""
    doc.save(path)
    res = _extract(rules, path)
    assert [d.kind for d in res.documents] == ["form"]
    assert res.documents[0].fields["lead_unit_name"] == EXPECTED_FORM["lead_unit_name"]
    other = tmp_path / "other.docx"
    doc = Document()
    doc.add_paragraph("说明：本压缩包内为申报材料。")
    doc.save(other)
    res = _extract(rules, other)
    assert res.documents == [] and not res.problems and res.source.kind == "unknown"


# Bad files -----------------------------------------------------------------------------------------

def _bad_files(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    data = good.read_bytes()
    files = {}
    (tmp_path / "empty.docx").write_bytes(b"")
    files["empty"] = (tmp_path / "empty.docx", "FILE_UNREADABLE")
    (tmp_path / "truncated.docx").write_bytes(data[: len(data) // 2])
    files["truncated"] = (tmp_path / "truncated.docx", "FILE_UNREADABLE")
    (tmp_path / "text.docx").write_text("这不是一个Word文件", "utf-8")
    files["not a zip"] = (tmp_path / "text.docx", "FILE_UNREADABLE")
    with zipfile.ZipFile(tmp_path / "nodoc.docx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    files["zip without document.xml"] = (tmp_path / "nodoc.docx", "FILE_UNREADABLE")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(tmp_path / "badxml.docx", "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            zout.writestr(item, body[:500] if item.filename == "word/document.xml" else body)
    files["broken xml"] = (tmp_path / "badxml.docx", "FILE_UNREADABLE")
    enc = tmp_path / "encrypted.docx"
    with open(good, "rb") as fin, open(enc, "wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    files["password"] = (enc, "FILE_ENCRYPTED")
    return files


def test_bad_files_become_problems_and_the_batch_continues(rules, tmp_path):
    good = make_docx(tmp_path / "good.docx", FormSpec())
    bad = _bad_files(tmp_path, good)
    results = [extract_file(p, p.name, rules) for p, _ in bad.values()] + [extract_file(good, "good.docx", rules)]
    for (what, (_, rule)), res in zip(bad.items(), results, strict=False):
        assert [p.rule for p in res.problems] == [rule], what
        assert res.documents == [] and res.problems[0].reason, what
    assert _docs(results[-1])["form"].fields["lead_unit_name"] == EXPECTED_FORM["lead_unit_name"]


def test_xml_entities_are_not_expanded(rules, tmp_path):
    good = make_docx(tmp_path / "good.docx", FormSpec())
    evil = tmp_path / "evil.docx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename == "word/document.xml":
                body = body.replace(b"<w:document", b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><w:document', 1)
                body = body.replace("上海云境数字科技有限公司".encode(), b"&x;", 1)
            zout.writestr(item, body)
    res = extract_file(evil, "evil.docx", rules)
    text = str(res)
    assert "root:" not in text


def test_document_part_size_limit(rules, tmp_path):
    good = make_docx(tmp_path / "good.docx", FormSpec())
    res = extract_file(good, "good.docx", rules, ExtractOptions(limits=Limits(max_docx_part_mb=0)))
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"] and "MB" in res.problems[0].reason


# Legacy .doc --------------------------------------------------------------------------------------

def _to_doc(docx: Path, workdir: Path) -> Path:
    """docx → doc with LibreOffice, as applicants' converters do."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is required for the .doc tests"
    profile = (workdir / "lo-profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "doc",
                    "--outdir", str(workdir), str(docx)], check=True, capture_output=True, timeout=180)
    return workdir / (docx.stem + ".doc")


@pytest.fixture(scope="module")
def legacy_doc(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("doc")
    spec = FormSpec(box="sym", directions=["元宇宙+工厂"], leader=Person("王建国", "021-69581234", "总经理", "13812345678", "", "w@a.cn"))
    return _to_doc(make_docx(work / "申报表.docx", spec, LetterSpec(seal=None, numbering="{n}、")), work)


def test_legacy_doc_is_converted_and_read(rules, legacy_doc):
    res = extract_file(legacy_doc, "申报表.doc", rules)
    docs = _docs(res)
    assert res.source.format == "doc" and res.source.kind == "both"
    form = docs["form"].fields
    assert form["direction"] == "元宇宙+工厂" and form["track"] == "工业"
    assert form["lead_unit_name"] == EXPECTED_FORM["lead_unit_name"] and form["leader_email"] == "w@a.cn"
    assert form["joint_units"] == EXPECTED_FORM["joint_units"]
    assert form["sections"] == EXPECTED_FORM["sections"]
    assert docs["letter"].fields["letter_clauses"] == CLAUSES
    assert docs["letter"].fields["letter_date"] == "2023-11-10"


def test_legacy_doc_without_libreoffice(rules, legacy_doc):
    res = extract_file(legacy_doc, "申报表.doc", rules, ExtractOptions(soffice="/nonexistent/soffice"))
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"]
    assert "LibreOffice" in res.problems[0].reason and "安装" in res.problems[0].reason


def test_legacy_doc_conversion_time_limit(rules, legacy_doc):
    res = extract_file(legacy_doc, "申报表.doc", rules, ExtractOptions(limits=Limits(file_timeout_s=0.01)))
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"] and "超时" in res.problems[0].reason


def test_password_protected_doc_is_encrypted(rules, legacy_doc, tmp_path):
    """A .doc whose FIB says fEncrypted (what Word writes for a password) is FILE_ENCRYPTED, not converted."""
    import olefile

    data = bytearray(legacy_doc.read_bytes())
    with olefile.OleFileIO(str(legacy_doc)) as ole:
        fib = ole.openstream("WordDocument").read(16)
    at = data.find(fib)
    assert at > 0
    data[at + 0x0B] |= 0x01  # fEncrypted is bit 8 of the flags word at FIB offset 0x0A
    protected = tmp_path / "protected.doc"
    protected.write_bytes(bytes(data))
    res = extract_file(protected, "protected.doc", rules)
    assert [p.rule for p in res.problems] == ["FILE_ENCRYPTED"]


def test_paragraph_layout_and_split_rows(rules, tmp_path):
    """Label/value pairs written as paragraphs, and a table whose values sit in the row below their label."""
    doc = Document()
    doc.add_paragraph("附件1：上海市元宇宙重大应用场景需求征集表")
    for text in ("牵头单位名称：上海某某科技有限公司", "组织机构代码/三证合一码： 91310115-MA1K4XYZ1X",
                 "场景名称：“元宇宙+产线”数字孪生平台", "申报场景方向："):
        doc.add_paragraph(text)
    p = doc.add_paragraph()
    add_option(p, "元宇宙+产线", False, "wingdings2", prefix="方向1：")
    add_option(p, "元宇宙+工厂", True, "wingdings2", prefix="方向2：")
    t = doc.add_table(rows=4, cols=2)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "场景所在地址"
    t.cell(1, 0).merge(t.cell(1, 1)).text = "上海市闵行区剑川路"
    t.cell(2, 0).text, t.cell(2, 1).text = "负责人", "姓名：张三  电话：021-12345678"
    t.cell(3, 0).text, t.cell(3, 1).text = "", "职务：总经理  手机：13800000000  E-mail：zs@a.cn"
    for text in ("单位性质：", "资金投入", "（包括场景建设总投入资金及资金来源与落实情况介绍，不超过500字）",
                 "总投资500万元。", "真实性承诺"):
        doc.add_paragraph(text)
    path = tmp_path / "p.docx"
    doc.save(path)
    form = _docs(_extract(rules, path))["form"]
    f = form.fields
    assert (f["lead_unit_name"], f["lead_unit_code"]) == ("上海某某科技有限公司", "91310115MA1K4XYZ1X")
    assert f["scenario_name"] == "“元宇宙+产线”数字孪生平台" and f["direction"] == "元宇宙+工厂"
    assert f["address"] == "上海市闵行区剑川路" and form.provenance["address"].row == 1
    assert (f["leader_name"], f["leader_phone"], f["leader_title"], f["leader_mobile"], f["leader_email"]) == (
        "张三", "021-12345678", "总经理", "13800000000", "zs@a.cn")
    assert f["sections"]["funding"] == "总投资500万元。" and f["unit_nature"] is None


PLEDGE = ("我单位申报的所有材料，均真实、完整，如有不实，愿承担相应的责任。", "负责人签字（章）：", "公章：", "年 月 日")


def _form_ending_in_pledge(path: Path, layout: str) -> Path:
    """A form whose last section (资金投入) is followed by the 真实性承诺 block, laid out as `layout`."""
    doc = Document()
    doc.add_paragraph("附件1：上海市元宇宙重大应用场景需求征集表")
    rows = [("牵头单位名称", "上海某某科技有限公司"), ("场景名称", "产线平台"),
            ("资金投入", "（包括场景建设总投入资金及资金来源与落实情况介绍，不超过500字）\n总投资500万元。")]
    if layout == "paragraphs":
        for label, value in rows:
            doc.add_paragraph(label)
            for line in value.split("\n"):
                doc.add_paragraph(line)
        for text in ("真实性承诺", *PLEDGE):
            doc.add_paragraph(text)
    else:
        t = doc.add_table(rows=len(rows) + (layout != "after_table"), cols=2)
        for r, (label, value) in enumerate(rows):
            t.cell(r, 0).text, t.cell(r, 1).text = label, value
        if layout == "pledge_row":
            t.cell(len(rows), 0).text, t.cell(len(rows), 1).text = "真实性承诺", "\n".join(PLEDGE)
        elif layout == "pledge_merged_row":
            t.cell(len(rows), 0).merge(t.cell(len(rows), 1)).text = "\n".join(("真实性承诺", *PLEDGE))
        else:
            for text in ("真实性承诺", *PLEDGE):
                doc.add_paragraph(text)
    doc.add_paragraph()
    doc.save(path)
    return path


@pytest.mark.parametrize("layout", ["paragraphs", "pledge_row", "pledge_merged_row", "after_table"])
def test_truthfulness_pledge_and_signature_end_the_last_section(rules, tmp_path, layout):
    form = _docs(_extract(rules, _form_ending_in_pledge(tmp_path / f"{layout}.docx", layout)))["form"]
    f = form.fields
    assert f["lead_unit_name"] == "上海某某科技有限公司" and f["scenario_name"] == "产线平台"
    assert f["sections"]["funding"] == "总投资500万元。"
    assert not [k for k, text in f["sections"].items() if text and any(w in text for w in ("真实", "签字", "公章", "年 月 日"))]
    assert f["leader_name"] is None and f["contact_name"] is None


# Transitional → Strict (ISO/IEC 29500-1 Strict, Word's "Strict Open XML Document"): the same parts
# with the elements, attributes and relationship types in the Strict namespaces.
TO_STRICT = {
    b"http://schemas.openxmlformats.org/wordprocessingml/2006/main": b"http://purl.oclc.org/ooxml/wordprocessingml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    b"http://schemas.openxmlformats.org/drawingml/2006/main": b"http://purl.oclc.org/ooxml/drawingml/main",
    b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing":
        b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
    b"http://schemas.openxmlformats.org/drawingml/2006/picture": b"http://purl.oclc.org/ooxml/drawingml/picture",
    b"http://schemas.openxmlformats.org/officeDocument/2006/math": b"http://purl.oclc.org/ooxml/officeDocument/math",
}


def _strict(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for old, new in TO_STRICT.items():
                    body = body.replace(old, new)
            zout.writestr(info, body)
    return dest


def test_strict_ooxml_reads_like_transitional(rules, tmp_path):
    """Every sample DOCX saved as Strict (its namespaces renamed) gives the same documents (fields,
    provenance, seals) and notes as the original."""
    from .conftest import SAMPLE_BATCH

    sources = sorted(p for p in SAMPLE_BATCH.rglob("*.docx") if zipfile.is_zipfile(p))  # not the damaged ones
    assert len(sources) >= 20
    for i, src in enumerate(sources):
        strict = _strict(src, tmp_path / f"{i}.docx")
        assert b"purl.oclc.org/ooxml/wordprocessingml" in zipfile.ZipFile(strict).read("word/document.xml")
        want, got = _extract(rules, src, "x.docx"), _extract(rules, strict, "x.docx")
        assert got.problems == want.problems and got.source.kind == want.source.kind, src.name
        assert got.documents == want.documents and got.notes == want.notes, src.name
