"""Evidence points at the place a finding concerns: each section, joint unit and clause has its own
provenance key, kept through assembly (also when a value is filled in from a second file), and the
report shows it. Real sample DOCX files, read back with python-docx to locate the expected places."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from pipeline.assemble import build_submission
from pipeline.extract import extract_file
from pipeline.labels import section_labels
from pipeline.model import Submission
from pipeline.report import submission_json
from pipeline.report.html import build_report_view, render_report
from pipeline.validate import validate_submission

try:
    from .conftest import SAMPLE_BATCH
    from .docx_factory import FormSpec, make_docx
    from .validate_support import RULES, findings_of
except ImportError:  # tests/ run as a plain directory
    from conftest import SAMPLE_BATCH
    from docx_factory import FormSpec, make_docx
    from validate_support import RULES, findings_of

LONG_AND_EMPTY = "上海瑞影医疗科技有限公司-智能分诊医疗数字人"  # SECTION_TOO_LONG + SECTION_EMPTY
SAME_JOINT_CODES = "上海智愈数字科技有限公司-智慧病房数字孪生管理平台"  # JOINT_UNIT_DUPLICATE on two units
ALTERED_CLAUSE = "上海申江职业技术学院-城市轨道交通运营虚拟仿真实训基地"  # LETTER_CLAUSES_ALTERED


def _checked(files: list[Path], sub_id: str = "s") -> Submission:
    results = [extract_file(p, p.name, RULES) for p in files]
    sub = build_submission(sub_id, "folder", "按文件夹归组", results, [])
    validate_submission(sub, RULES)
    return sub


def _sample(name: str) -> Submission:
    return _checked(sorted(p for p in (SAMPLE_BATCH / name).iterdir() if p.suffix == ".docx"), name)


def _value_cell(form: Path, row_label: str) -> str:
    """`表1 第r行第c列` of the first cell after the label cell of the row labelled `row_label`."""
    table = Document(str(form)).tables[0]
    for r, row in enumerate(table.rows):
        cells = row.cells  # one entry per grid column, a merged cell repeated
        if cells[0].text.strip().startswith(row_label):
            c = next(i for i, cell in enumerate(cells) if cell._tc is not cells[0]._tc)
            return f"表1 第{r + 1}行第{c + 1}列"
    raise AssertionError(f"no row labelled {row_label}")


def _row_of(form: Path, text: str) -> int:
    """1-based row of the first table row holding a cell with exactly `text`."""
    for r, row in enumerate(Document(str(form)).tables[0].rows):
        if any(cell.text.strip() == text for cell in row.cells):
            return r + 1
    raise AssertionError(f"no row holds {text}")


def test_each_section_finding_points_at_its_own_cell():
    sub = _sample(LONG_AND_EMPTY)
    form = SAMPLE_BATCH / LONG_AND_EMPTY / "附件1-需求征集表.docx"
    labels = section_labels(RULES)
    (long,) = findings_of(sub, "SECTION_TOO_LONG")
    (empty,) = findings_of(sub, "SECTION_EMPTY")
    assert long.evidence.file == empty.evidence.file == form.name
    assert long.evidence.location == _value_cell(form, labels[long.field])
    assert empty.evidence.location == _value_cell(form, labels[empty.field])
    assert long.evidence.location != empty.evidence.location


def test_each_joint_unit_finding_points_at_its_own_row():
    sub = _sample(SAME_JOINT_CODES)
    form = SAMPLE_BATCH / SAME_JOINT_CODES / "附件1-需求征集表.docx"
    found = findings_of(sub, "JOINT_UNIT_DUPLICATE")
    assert [f.field for f in found] == ["joint_units[0].code", "joint_units[1].code"]
    for i, f in enumerate(found):
        row = _row_of(form, sub.fields["joint_units"][i]["name"])
        assert f.evidence.location.startswith(f"表1 第{row}行"), (i, f.evidence.location)
        assert sub.provenance[f"joint_units[{i}]"].row + 1 == row
    assert found[0].evidence.location != found[1].evidence.location


def test_altered_clause_points_at_its_own_paragraph():
    sub = _sample(ALTERED_CLAUSE)
    letter = SAMPLE_BATCH / ALTERED_CLAUSE / "附件2-建设承诺书.docx"
    paragraphs = [p.text for p in Document(str(letter)).paragraphs]
    found = [f for f in findings_of(sub, "LETTER_CLAUSES_ALTERED") if f.field.startswith("letter_clauses[")]
    assert found
    for f in found:
        i = int(f.field[len("letter_clauses["):-1])
        n = next(k for k, text in enumerate(paragraphs) if sub.fields["letter_clauses"][i] in text)
        assert (f.evidence.file, f.evidence.location) == (letter.name, f"第{n + 1}段")
    clause_places = {sub.provenance[f"letter_clauses[{i}]"] for i in range(len(sub.fields["letter_clauses"]))}
    assert len(clause_places) == len(sub.fields["letter_clauses"]) == 6


def test_section_filled_from_a_second_file_keeps_that_files_provenance(tmp_path):
    first = FormSpec()
    first.sections = {**first.sections, "existing_foundation": []}
    a = make_docx(tmp_path / "附件1-需求征集表.docx", first)
    b = make_docx(tmp_path / "附件1-需求征集表（备份）.docx", FormSpec())
    sub = _checked([a, b])
    assert sub.fields["sections"]["existing_foundation"] == "已完成一期产线三维建模，积累设备数据3年。"
    assert sub.provenance["sections.existing_foundation"].file == b.name
    assert sub.provenance["sections.funding"].file == a.name
    assert sub.provenance["joint_units[0].code"].file == a.name
    assert not findings_of(sub, "SECTION_EMPTY")


def test_report_renders_per_item_provenance():
    sub = _sample(SAME_JOINT_CODES)
    data = submission_json(sub)
    assert {"joint_units[0]", "joint_units[1].code", "sections.funding", "letter_clauses[5]"} <= set(data["provenance"])
    view = build_report_view(data, RULES, {})
    units = view["joint_units"]
    wheres = [{c["where"] for c in u["cells"] if c["text"]} for u in units]
    assert all(w and all(x.startswith(f"附件1-需求征集表.docx · 表1 第{sub.provenance[f'joint_units[{i}]'].row + 1}行")
                         for x in w) for i, w in enumerate(wheres))
    sections = {s["key"]: s["where"] for s in view["sections"]}
    assert len(set(sections.values())) == len(sections)  # every section its own cell
    html = render_report(data, RULES, {})
    for f in findings_of(sub, "JOINT_UNIT_DUPLICATE"):
        assert f"<span>{f.evidence.location}</span>" in html
