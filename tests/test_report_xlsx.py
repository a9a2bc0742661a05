"""consolidated.xlsx read back with pandas and openpyxl and compared with results.json."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pandas as pd
import pytest

from pipeline.config import load_rules
from pipeline.labels import FIELD_LABELS, section_labels
from pipeline.report.html import href_path, report_files
from pipeline.report.labels import SEVERITY_LABELS, STATUS_LABELS, display_value
from pipeline.report.xlsx import MAX_URLS, safe_cell, safe_text, write_xlsx

try:
    from .report_batch import HOSTILE_FORMULA, UNREAD_ID, report_run
except ImportError:
    from report_batch import HOSTILE_FORMULA, UNREAD_ID, report_run

RULES = load_rules()
SHEETS = ["汇总", "联合单位", "问题清单", "文件", "赛道方向", "覆盖", "说明"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The small batch made by report_batch (hostile text, a broken submission …)."""
    return report_run(tmp_path_factory)


@pytest.fixture(scope="module", params=["made", "samples"])
def any_run(request, tmp_path_factory):
    """Either the small made batch or the bundled samples/batch (conftest's shared sample_run)."""
    if request.param == "made":
        return report_run(tmp_path_factory)
    _, out = request.getfixturevalue("sample_run")
    return json.loads((out / "results.json").read_text("utf-8")), out


@pytest.fixture(scope="module")
def frames(any_run):
    _, out = any_run
    return pd.read_excel(out / "consolidated.xlsx", sheet_name=None)


@pytest.fixture(scope="module")
def exact(any_run):
    """dtype=object keeps every cell's own type: text stays text (leading zeros), numbers numbers."""
    _, out = any_run
    return pd.read_excel(out / "consolidated.xlsx", sheet_name=None, dtype=object)


def blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def visible(value):
    """What the spreadsheet shows for a results value: text neutralised, lists joined, blanks empty."""
    text = display_value(value)
    if text is None:
        return None
    return "'" + text if text.startswith(FORMULA_START) else text


def test_sheets_and_headers(frames):
    assert list(frames) == SHEETS
    summary = frames["汇总"]
    for key in ("lead_unit_name", "lead_unit_code", "scenario_name", "direction", "track", "address", "contact_email",
                "unit_nature", "letter_date", "letter_has_seal", "letter_contact"):
        assert FIELD_LABELS[key] in summary.columns
    for label in section_labels(RULES).values():
        assert f"{label}（字数）" in summary.columns
    for element in RULES.raw["coverage"]["tech_elements"]:
        assert f"技术要素：{element}" in summary.columns


def test_summary_matches_results(any_run, frames, exact):
    data, _ = any_run
    subs = data["submissions"]
    summary = frames["汇总"]
    assert list(summary["提交编号"]) == [s["submission_id"] for s in subs]
    assert list(summary["状态"]) == [STATUS_LABELS[s["status"]] for s in subs]
    for col, sev in (("错误数", "error"), ("待核对数", "review"), ("警告数", "warning"), ("提示数", "info")):
        assert summary[col].dtype.kind == "i"
        assert list(summary[col]) == [sum(f["severity"] == sev for f in s["findings"]) for s in subs]
    rows = exact["汇总"].to_dict("records")
    checked = 0
    for s, row in zip(subs, rows, strict=True):
        fields = s["fields"]
        for key, label in FIELD_LABELS.items():
            if key in ("joint_units", "sections", "section_lengths", "letter_clauses", "letter_date"):
                continue
            want = visible(fields.get(key))
            got = row[label]
            assert (blank(got) and want is None) or got == want, (s["submission_id"], key, got, want)
            checked += want is not None
        for spec in RULES.sections:
            got = row[f"{section_labels(RULES)[spec.key]}（字数）"]
            if fields["section_lengths"][spec.key] is None:  # a section the checker could not read
                assert blank(got)
                continue
            assert got == fields["section_lengths"][spec.key]
            assert isinstance(got, int)
        if any(f["kind"] in ("form", "both") for f in s["files"]):
            assert row["联合申报单位数"] == len(fields.get("joint_units") or [])
        else:  # no form read: how many joint units is unknown, not 0
            assert blank(row["联合申报单位数"])
        if fields.get("letter_date"):
            assert row[FIELD_LABELS["letter_date"]] == dt.datetime.fromisoformat(fields["letter_date"])
        else:
            assert blank(row[FIELD_LABELS["letter_date"]])
        clauses = fields.get("letter_clauses") or []
        got = row["承诺条款"]
        assert (blank(got) and not clauses) or got.split("\n") == [f"{i}. {c}" for i, c in enumerate(clauses, 1)]
        tech = s.get("coverage", {}).get("tech_elements")
        for element in RULES.raw["coverage"]["tech_elements"]:
            got = row[f"技术要素：{element}"]
            if tech is None:
                assert blank(got)
            else:
                assert got == ("是" if tech.get(element) else "否")
    assert checked > 40, "the batch has real extracted values to compare"
    assert summary["承诺书日期"].dtype.kind == "M"


def test_default_read_keeps_values(any_run, frames):
    """Plain read_excel: pandas turns digit-only text columns into numbers; the digits still match."""
    data, _ = any_run
    summary = frames["汇总"]
    for s, (_, row) in zip(data["submissions"], summary.iterrows(), strict=True):
        for key in ("lead_unit_name", "scenario_name", "leader_mobile", "contact_email", "lead_unit_code"):
            want = visible(s["fields"].get(key))
            got = row[FIELD_LABELS[key]]
            if want is None:
                assert blank(got)
            elif isinstance(got, (int, float)):
                assert want.isdigit() and int(got) == int(want)
            else:
                assert got == want


def test_joint_units_findings_files_sheets(any_run, frames):
    data, _ = any_run
    subs = data["submissions"]
    joint = frames["联合单位"]
    expected = [(s["submission_id"], i, u["name"], u["code"]) for s in subs
                for i, u in enumerate(s["fields"].get("joint_units") or [], 1)]
    assert len(expected) >= 3
    got = [(r["提交编号"], r["序号"], r["单位名称"], r["组织机构代码/三证合一码"]) for _, r in joint.iterrows()]
    assert got == [(sid, i, visible(n), visible(c)) for sid, i, n, c in expected]

    problems = frames["问题清单"]
    assert len(problems) == sum(len(s["findings"]) for s in subs)
    for s in subs:
        mine = problems[problems["提交编号"] == s["submission_id"]]
        assert list(mine["规则"]) == [f["rule"] for f in s["findings"]]
        assert list(mine["级别"]) == [SEVERITY_LABELS[f["severity"]] for f in s["findings"]]
        assert list(mine["问题说明"]) == [visible(f["message"]) for f in s["findings"]]

    files = frames["文件"]
    assert len(files) == sum(len(s["files"]) for s in subs)
    assert list(files["文件"]) == [visible(f["path"]) for s in subs for f in s["files"]]
    assert set(files["使用OCR"]) <= {"是", "否"}
    assert files["大小（字节）"].dtype.kind == "i"


def test_explanations_sheet(any_run, frames):
    data, _ = any_run
    notes = frames["说明"]
    info = dict(zip(notes["名称"], notes["内容"], strict=True))
    assert info["规则文件版本"] == data["run"]["rules_version"]
    assert info["规则文件 SHA-256"] == data["run"]["rules_sha256"]
    assert isinstance(info["开始时间（北京时间）"], dt.datetime)
    summary_headers = set(frames["汇总"].columns)
    explained = set(notes.loc[notes["类别"] == "汇总", "名称"])
    assert summary_headers == explained


def test_review_status_and_counts(run):
    """The submission the checker could not read in full: its own status value, cell colour and count
    column, a count of review items per status in 说明, and the columns' meaning explained."""
    data, out = run
    sub = next(s for s in data["submissions"] if s["submission_id"] == UNREAD_ID)
    assert sub["status"] == "review"
    frames = pd.read_excel(out / "consolidated.xlsx", sheet_name=None, dtype=object)
    summary = frames["汇总"]
    row = summary[summary["提交编号"] == UNREAD_ID].iloc[0]
    assert row["状态"] == "待人工核对"
    assert (row["错误数"], row["待核对数"], row["警告数"]) == (0, 1, 0)
    headers = list(summary.columns)
    assert headers.index("错误数") + 1 == headers.index("待核对数") == headers.index("警告数") - 1
    assert sorted(summary["待核对数"].unique()) == [0, 1]  # the others have none
    problems = frames["问题清单"]
    mine = problems[problems["提交编号"] == UNREAD_ID]
    assert list(mine["规则"]) == ["EXTRACTION_INCOMPLETE"]
    assert list(mine["级别"]) == ["待核对"] and list(mine["申报状态"]) == ["待人工核对"]
    notes = frames["说明"]
    info = dict(zip(notes["名称"], notes["内容"], strict=True))
    for status, label in STATUS_LABELS.items():
        assert info[f"{label}（份）"] == data["run"]["counts"][status] == sum(s["status"] == status for s in data["submissions"])
    assert info["待人工核对（份）"] == 1
    assert "待人工核对" in info["状态"] and "程序未能读取" in info["待核对数"]
    assert "待核对" in info["级别"]
    wb = openpyxl.load_workbook(out / "consolidated.xlsx")
    ws = wb["问题清单"]
    level = [c.value for c in ws[1]].index("级别") + 1
    cells = [ws.cell(row=r, column=level) for r in range(2, ws.max_row + 1)]
    colours = {c.value: c.fill.fgColor.rgb[-6:] for c in cells}
    assert colours["待核对"] == "E4DFEC" and len({colours["待核对"], colours["警告"], colours["错误"]}) == 3


def column_widths(ws) -> dict[int, float]:
    """Column number → width; a <col> element may cover a range of equal columns (openpyxl keys it by the first)."""
    return {i: d.width for d in ws.column_dimensions.values() if d.customWidth for i in range(d.min, d.max + 1)}


def test_workbook_layout_and_links(any_run):
    data, out = any_run
    wb = openpyxl.load_workbook(out / "consolidated.xlsx")
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes in ("A2", "B2")
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert all(ws.cell(row=1, column=c).font.b for c in range(1, ws.max_column + 1))
        widths = column_widths(ws)
        assert sorted(widths) == list(range(1, ws.max_column + 1)), name
        assert all(6 <= w <= 90 for w in widths.values())
    ws = wb["汇总"]
    headers = [c.value for c in ws[1]]
    link_col = headers.index("报告") + 1
    status_col = headers.index("状态") + 1
    names = report_files(data["submissions"])
    for r, sub in enumerate(data["submissions"], start=2):
        cell = ws.cell(row=r, column=link_col)
        assert cell.hyperlink is not None
        target = cell.hyperlink.target
        assert target.startswith("reports/") and (out / unquote(target)).is_file()
        assert unquote(target) == "reports/" + names[sub["submission_id"]]
        fill = ws.cell(row=r, column=status_col).fill.fgColor.rgb
        assert fill.endswith({"pass": "C6EFCE", "warn": "FFEB9C", "review": "E4DFEC", "fail": "FFC7CE"}[sub["status"]])
    date_col = headers.index(FIELD_LABELS["letter_date"]) + 1
    dated = [ws.cell(row=r, column=date_col) for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=date_col).value]
    assert dated and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dated)
    # Finding rows repeat their submission's report link (one link object per report serves them all).
    ws = wb["问题清单"]
    headers = [c.value for c in ws[1]]
    id_col, link_col = headers.index("提交编号") + 1, headers.index("报告") + 1
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=link_col)
        want = "reports/" + href_path(names[ws.cell(row=r, column=id_col).value])
        assert cell.value == cell.hyperlink.target == want, r


def _all_cells(path: Path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_no_cell_is_a_formula(run):
    data, out = run
    hostile = next(s for s in data["submissions"] if s["submission_id"].startswith("B-"))
    assert hostile["fields"]["lead_unit_name"] == HOSTILE_FORMULA  # the pipeline really read it
    cells = list(_all_cells(out / "consolidated.xlsx"))
    for c in cells:
        assert c.data_type != "f", (c.coordinate, c.value)
        if isinstance(c.value, str):
            assert not c.value.startswith(FORMULA_START), (c.coordinate, c.value)
    assert any(c.value == "'" + HOSTILE_FORMULA and c.data_type == "s" for c in cells)
    summary = pd.read_excel(out / "consolidated.xlsx", sheet_name="汇总")
    row = summary[summary["提交编号"] == hostile["submission_id"]].iloc[0]
    assert row["牵头单位名称"] == "'" + HOSTILE_FORMULA
    assert row["联系人E-mail"] == "'" + HOSTILE_FORMULA


def test_hostile_and_odd_values_everywhere(run, tmp_path):
    """Every string of a real results dict turned hostile (formulas, control characters): still safe."""
    data, _ = run
    payloads = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=y", "a\x00b\x0bc\x1f"]
    counter = iter(range(10**6))

    def poison(v):
        if isinstance(v, str):
            return payloads[next(counter) % len(payloads)] + v
        if isinstance(v, list):
            return [poison(x) for x in v]
        if isinstance(v, dict):
            return {k: (x if k in ("status", "severity", "kind", "origin", "crop_path") else poison(x))
                    for k, x in v.items()}
        return v

    bad = copy.deepcopy(data)
    bad["submissions"] = [poison(s) for s in bad["submissions"]]
    path = write_xlsx(bad, tmp_path, RULES)
    for c in _all_cells(path):
        assert c.data_type != "f"
        if isinstance(c.value, str):
            assert not c.value.startswith(FORMULA_START)
            assert "\x00" not in c.value and "\x1f" not in c.value
    frames = pd.read_excel(path, sheet_name=None)
    assert len(frames["汇总"]) == len(bad["submissions"])


def test_safe_cell_rules():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("正常文本") == "正常文本"
    assert safe_cell(" =1") == " =1"
    assert safe_cell(12) == 12 and safe_cell(True) == "是" and safe_cell(None) is None
    assert safe_cell(["a", "=b"]) == "a、=b"
    assert len(safe_cell("x" * 40000)) == 32767


def test_missing_and_odd_optional_parts_still_write(run, tmp_path):
    data, _ = run
    odd = copy.deepcopy(data)
    for i, s in enumerate(odd["submissions"]):
        for key in ("provenance", "notes", "images", "origin", "grouping", "coverage"):
            s.pop(key, None)
        if i % 2:
            s["fields"] = {"letter_date": "二〇二三年", "section_lengths": {"funding": "x"}, "joint_units": [None, {"name": 5}]}
    frames = pd.read_excel(write_xlsx(odd, tmp_path, RULES), sheet_name=None, dtype=object)
    assert list(frames["汇总"]["提交编号"]) == [s["submission_id"] for s in odd["submissions"]]
    assert all(blank(v) for v in frames["汇总"]["技术要素：数据流通"])


def test_safe_text_line_breaks_and_xml_illegal_characters():
    """CR reads back as a line feed (not Excel's _x000D_ escape); what XML cannot carry is dropped."""
    assert safe_text("\r=1") == "'\n=1"
    assert safe_text("a\r\nb\rc") == "a\nb\nc"
    assert safe_text("a\ufffeb\uffffc\ud800d") == "abcd"


def test_safe_text_every_control_character():
    """Each character safe_text must change, inside plain text (which skips the cleaning) or text with a
    line break: C0 controls and the others XML cannot carry dropped, CR / VT / FF made line feeds."""
    becomes = {"\t": "\t", "\n": "\n", "\r": "\n", "\x0b": "\n", "\x0c": "\n"}
    odd = [chr(c) for c in range(0x20)] + [chr(c) for c in (0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFE, 0xFFFF)]
    for ch in odd:
        for text in (f"甲{ch}乙", f"a{ch}b", f"第一段\n第二{ch}段"):
            assert safe_text(text) == text.replace(ch, becomes.get(ch, "")), (hex(ord(ch)), text)
    for text in ("普通文本", "a\u3000b\xa0c", "零宽\u200b空格", "表情😀", "两行\n\t缩进"):
        assert safe_text(text) == text


def test_line_breaks_and_controls_read_back(tmp_path):
    data = {"run": {}, "submissions": [{"submission_id": "S-1", "status": "pass",
                                         "fields": {"lead_unit_name": "第一行\r\n第二行\x0b第三行\ufffe"}}]}
    row = pd.read_excel(write_xlsx(data, tmp_path, RULES), sheet_name="汇总", dtype=object).iloc[0]
    assert row[FIELD_LABELS["lead_unit_name"]] == "第一行\n第二行\n第三行"


def test_same_results_same_bytes_and_no_temp_files(run, tmp_path, monkeypatch):
    """Warm re-runs compare outputs: the workbook's bytes depend on the results only, and nothing is
    written outside OUT (the workbook is built in memory)."""
    data, _ = run
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    first = write_xlsx(data, tmp_path / "a", RULES).read_bytes()
    second = write_xlsx(copy.deepcopy(data), tmp_path / "b", RULES).read_bytes()
    assert first == second
    assert not any(scratch.iterdir())
    core = zipfile.ZipFile(tmp_path / "a" / "consolidated.xlsx").read("docProps/core.xml").decode()
    started = dt.datetime.fromisoformat(data["run"]["started"]).astimezone(dt.UTC)
    assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{started:%Y-%m-%dT%H:%M:%SZ}<" in core
    props = openpyxl.load_workbook(tmp_path / "a" / "consolidated.xlsx").properties
    assert (props.creator, props.title) == ("pipeline", "申报材料检查汇总")


def test_link_targets_are_relative_with_forward_slashes(tmp_path):
    """Ids with spaces, #, %, backslashes and CJK: each link is reports/<file> exactly as the HTML has it."""
    ids = ["甲 单位#1", "50%完成", "a\\b", "普通"]
    data = {"run": {}, "submissions": [{"submission_id": sid, "status": "pass"} for sid in ids]}
    ws = openpyxl.load_workbook(write_xlsx(data, tmp_path, RULES))["汇总"]
    names = report_files(data["submissions"])
    col = [c.value for c in ws[1]].index("报告") + 1
    for r, sid in enumerate(ids, start=2):
        cell = ws.cell(row=r, column=col)
        assert cell.hyperlink.target == cell.value == "reports/" + href_path(names[sid])
        assert "\\" not in cell.hyperlink.target


def test_links_beyond_excels_limit_are_text(tmp_path):
    """Excel allows 65,530 links per sheet: the rows after that keep the path as plain text.

    Checked in the package XML: reading 65,535 rows back with openpyxl would take seconds."""
    n = MAX_URLS + 5
    data = {"run": {}, "submissions": [{"submission_id": "S-1", "status": "fail", "findings": [{}] * n}]}
    with zipfile.ZipFile(write_xlsx(data, tmp_path, RULES)) as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode()  # 问题清单
        rels = z.read("xl/worksheets/_rels/sheet3.xml.rels").decode()
        strings = re.findall(r"<si><t>(.*?)</t></si>", z.read("xl/sharedStrings.xml").decode())
    assert sheet.count("<hyperlink ") == MAX_URLS == rels.count('TargetMode="External"')
    assert re.findall(r'<hyperlink ref="L(\d+)"', sheet)[-1] == str(MAX_URLS + 1)
    report = strings.index("reports/S-1.html")
    for row in (MAX_URLS + 1, n + 1):  # the last linked row, and the last row: the same path as text
        assert re.search(rf'<c r="L{row}"( s="\d+")? t="s"><v>{report}</v></c>', sheet), row
    assert f'<row r="{n + 2}"' not in sheet
