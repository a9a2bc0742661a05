"""The review loop (issue #20) end to end on the samples, through the real CLI: decisions from a TOML
file and from an edited consolidated.xlsx change statuses, show in every output, stale ones are
listed; correction notices exist exactly for the submissions still to correct and say what
results.json says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import load_rules
from pipeline.report.notices import PROBLEM_HEADERS, action_text, notice_files, notice_settings, problem_text

from .conftest import REPO, SAMPLE_BATCH

SCHEMA = json.loads((REPO / "pipeline" / "schema" / "results.schema.json").read_text("utf-8"))
YUNYOU = "上海云游天下旅游发展有限公司-一江一河虚实融合智慧游览线路"  # DIRECTION_NONE error + 2 warnings
BEIJING = "北京云镜数创科技有限公司-临港智能制造园区元宇宙运营平台"  # CODE_NOT_SHANGHAI error, SEAL_MISSING warning
QIMING = "上海启明星教育科技有限公司-初中数学个性化自适应学习元宇宙课堂"  # UNIT_NATURE_NONE error + 2 warnings
RUIYING = "上海瑞影医疗科技有限公司-智能分诊医疗数字人"  # no SEAL_MISSING: a decision on it is stale

DECISIONS = f'''
[[decision]]
submission = "{YUNYOU}"
rule = "EMAIL_INVALID"
field = "contact_email"
action = "dismiss"
note = "已电话核实，邮箱可用"
by = "张三"

[[decision]]
submission = "{YUNYOU}"
rule = "DIRECTION_NONE"
action = "dismiss"
note = "申报单位书面确认方向为<b>元宇宙+智慧旅游</b>"
by = "张三"

[[decision]]
submission = "{BEIJING}"
rule = "CODE_NOT_SHANGHAI"
action = "confirm"
note = "注册地在北京，确认不符合条件"
by = "李四"

[[decision]]
submission = "{RUIYING}"
rule = "SEAL_MISSING"
action = "dismiss"
note = "旧意见"
by = "王五"
'''


def _run(*args: str) -> None:
    res = CliRunner().invoke(main, ["run", *args, "--no-ocr", "--quiet"])
    assert res.exit_code == 0, res.output


def _results(out: Path) -> dict:
    data = json.loads((out / "results.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    return data


def _subs(data: dict) -> dict[str, dict]:
    return {s["submission_id"]: s for s in data["submissions"]}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The samples run once without decisions; the run writes nothing outside its OUT."""
    root = tmp_path_factory.mktemp("loop")
    batch = root / "batch"
    shutil.copytree(SAMPLE_BATCH, batch)
    before = _tree(root)
    out = root / "out"
    _run(str(batch), "--out", str(out))
    assert {p for p in _tree(root) - before if not p.startswith("out")} == set()
    return out


def test_toml_decisions_change_statuses_and_show_everywhere(base, tmp_path):
    before = _subs(_results(base))
    assert before[YUNYOU]["status"] == "fail" and before[BEIJING]["status"] == "fail"
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(DECISIONS, "utf-8")
    out = tmp_path / "out"
    _run(str(SAMPLE_BATCH), "--out", str(out), "--decisions", str(decisions), "--cache-dir", str(base / ".cache"))
    assert _tree(tmp_path) - {"decisions.toml"} == {p for p in _tree(tmp_path) if p.startswith("out")}
    data = _results(out)
    subs = _subs(data)

    # Dismissed: kept with the decision, no longer counted; the FILE_UNSUPPORTED warning remains.
    yunyou = {f["rule"]: f for f in subs[YUNYOU]["findings"]}
    assert set(yunyou) == {f["rule"] for f in before[YUNYOU]["findings"]}
    assert yunyou["DIRECTION_NONE"]["decision"] == {
        "action": "dismiss", "note": "申报单位书面确认方向为<b>元宇宙+智慧旅游</b>", "by": "张三",
        "source": "decisions.toml 第2条"}
    assert yunyou["EMAIL_INVALID"]["decision"]["action"] == "dismiss"
    assert yunyou["FILE_UNSUPPORTED"].get("decision") is None
    assert subs[YUNYOU]["status"] == "warn"
    # Confirmed: still counts.
    beijing = {f["rule"]: f for f in subs[BEIJING]["findings"]}
    assert beijing["CODE_NOT_SHANGHAI"]["decision"]["action"] == "confirm"
    assert subs[BEIJING]["status"] == "fail"
    # Nothing else changed.
    assert {k: s["status"] for k, s in subs.items() if k != YUNYOU} == \
           {k: s["status"] for k, s in before.items() if k != YUNYOU}
    counts = data["run"]["counts"]
    assert counts["fail"] == sum(1 for s in before.values() if s["status"] == "fail") - 1
    assert counts["warn"] == sum(1 for s in before.values() if s["status"] == "warn") + 1

    # The stale decision is listed, in results.json and on the index.
    dec = data["run"]["decisions"]
    assert (dec["given"], dec["applied"], dec["dismissed"], dec["confirmed"]) == (4, 3, 2, 1)
    assert [(s["submission"], s["rule"], s["source"]) for s in dec["stale"]] == \
           [(RUIYING, "SEAL_MISSING", "decisions.toml 第4条")]
    index = (out / "index.html").read_text("utf-8")
    stale_table = index[index.index('class="data stale-decisions"'):]
    assert RUIYING in stale_table[:stale_table.index("</table>")] and "旧意见" in stale_table

    # The report strikes the dismissed finding through, with the note escaped.
    page = next((out / "reports").glob(f"{YUNYOU}*.html")).read_text("utf-8")
    assert page.count('class="finding sev-error dismissed"') == 1
    assert "<del>申报场景方向未勾选" in page
    assert "&lt;b&gt;元宇宙+智慧旅游&lt;/b&gt;" in page and "<b>元宇宙+智慧旅游" not in page
    assert 'class="banner banner-warn"' in page

    # The workbook shows the decisions in 处理 / 备注 and no longer counts the dismissed error.
    wb = openpyxl.load_workbook(out / "consolidated.xlsx")
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    decided = {(r["提交编号"], r["规则"]): (r["处理"], r["备注"]) for r in rows if r["处理"]}
    assert decided == {(YUNYOU, "DIRECTION_NONE"): ("驳回", "申报单位书面确认方向为<b>元宇宙+智慧旅游</b>"),
                       (YUNYOU, "EMAIL_INVALID"): ("驳回", "已电话核实，邮箱可用"),
                       (BEIJING, "CODE_NOT_SHANGHAI"): ("确认", "注册地在北京，确认不符合条件")}
    summary = wb["汇总"]
    sheader = [c.value for c in summary[1]]
    srow = next(dict(zip(sheader, (c.value for c in r), strict=True)) for r in summary.iter_rows(min_row=2)
                if r[0].value == YUNYOU)
    assert (srow["状态"], srow["错误数"], srow["警告数"]) == ("有警告", 0, 1)

    # Notices: exactly the submissions with an error or review item not dismissed, so none for the
    # one whose only error was dismissed, one for the confirmed error.
    names = notice_files(data)
    still = {s["submission_id"] for s in data["submissions"] if any(
        f["severity"] in ("error", "review") and (f.get("decision") or {}).get("action") != "dismiss"
        for f in s["findings"])}
    assert sorted(p.name for p in (out / "notices").iterdir()) == sorted(names[sid] for sid in still)
    assert YUNYOU not in still and BEIJING in still
    table = docx.Document(str(out / "notices" / names[BEIJING])).tables[0]
    assert [r.cells[1].text for r in table.rows[1:]] == [problem_text(beijing["CODE_NOT_SHANGHAI"])]


def test_edited_workbook_read_back_into_the_same_out(base, tmp_path):
    """The loop as staff run it: fill 处理/备注 in OUT's own workbook, run again into the same OUT."""
    out = tmp_path / "out"
    shutil.copytree(base, out, symlinks=True)
    wb = openpyxl.load_workbook(out / "consolidated.xlsx")
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    # The 处理 column offers exactly 驳回 / 确认.
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == '"驳回,确认"'
    assert openpyxl.utils.get_column_letter(col["处理"] + 1) in str(lists[0].sqref)
    marked = []
    for r in ws.iter_rows(min_row=2):
        if r[col["提交编号"]].value == QIMING and r[col["级别"]].value == "错误":
            r[col["处理"]].value = "驳回"
            r[col["备注"]].value = "原件已勾选民营企业，扫描不清"
            marked.append(r[col["规则"]].value)
        elif r[col["提交编号"]].value == QIMING and r[col["规则"]].value == "MOBILE_INVALID":
            r[col["处理"]].value = "确认"
            marked.append("MOBILE_INVALID")
    assert marked == ["UNIT_NATURE_NONE", "MOBILE_INVALID"]
    wb.properties.lastModifiedBy = "赵六"
    wb.save(out / "consolidated.xlsx")

    _run(str(SAMPLE_BATCH), "--out", str(out), "--decisions", str(out / "consolidated.xlsx"))
    data = _results(out)
    sub = _subs(data)[QIMING]
    assert sub["status"] == "warn"
    by_rule = {f["rule"]: f.get("decision") for f in sub["findings"]}
    assert by_rule["UNIT_NATURE_NONE"]["action"] == "dismiss"
    assert by_rule["UNIT_NATURE_NONE"]["by"] == "赵六"
    assert by_rule["UNIT_NATURE_NONE"]["source"].startswith("consolidated.xlsx 问题清单第")
    assert by_rule["MOBILE_INVALID"]["action"] == "confirm"
    assert by_rule["PHONE_INVALID"] is None
    assert data["run"]["decisions"]["stale"] == []
    # The new workbook carries the decisions, so reading it back again keeps them.
    again = openpyxl.load_workbook(out / "consolidated.xlsx")["问题清单"]
    kept = [(r[col["规则"]].value, r[col["处理"]].value) for r in again.iter_rows(min_row=2)
            if r[col["提交编号"]].value == QIMING and r[col["处理"]].value]
    assert kept == [("UNIT_NATURE_NONE", "驳回"), ("MOBILE_INVALID", "确认")]
    assert not (out / "notices" / notice_files(data)[QIMING]).exists()


@pytest.mark.parametrize("text, message", [
    ('[[decision]]\nsubmission = "x"\nrule = "EMAIL_INVALID"\naction = "ignore"\n', "第1条 有误: action"),
    ('[[decision]]\nsubmission = "x"\naction = "dismiss"\n', "第1条 有误: 缺少 rule"),
    ('[[decision]]\nsubmission = "x"\nrule = "R"\naction = "dismiss"\nwho = "me"\n', "不认识的键 who"),
    ('[[decision]\n', "不是有效的 TOML"),
])
def test_bad_decisions_file_exits_2_naming_the_entry(tmp_path, text, message):
    path = tmp_path / "d.toml"
    path.write_text(text, "utf-8")
    res = CliRunner().invoke(main, ["run", str(SAMPLE_BATCH), "--out", str(tmp_path / "o"), "--decisions", str(path)])
    assert res.exit_code == 2
    assert message in res.output
    assert not (tmp_path / "o").exists()


def test_notices_list_what_results_json_says(base):
    data = _results(base)
    rules_settings = notice_settings(load_rules())
    names = notice_files(data)
    must = {s["submission_id"] for s in data["submissions"]
            if any(f["severity"] in ("error", "review") for f in s["findings"])}
    assert must and len(must) < len(data["submissions"])
    assert sorted(p.name for p in (base / "notices").iterdir()) == sorted(names[sid] for sid in must)
    for sub in data["submissions"]:
        if sub["submission_id"] not in must:
            continue
        doc = docx.Document(str(base / "notices" / names[sub["submission_id"]]))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert f"申报场景：{sub['fields'].get('scenario_name') or '（未识别场景名称）'}" in text
        if sub["fields"].get("lead_unit_name"):
            assert f"{sub['fields']['lead_unit_name']}：" in text
        assert "____年__月__日" in text and "联系人：" in text and rules_settings["closing"] in text
        tables = doc.tables
        expected = [f for f in sub["findings"] if f["severity"] in ("error", "review")]
        rows = [[c.text for c in r.cells] for r in tables[0].rows]
        assert tuple(rows[0]) == PROBLEM_HEADERS
        assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, len(expected) + 1)]
        assert [r[1] for r in rows[1:]] == [problem_text(f) for f in expected]
        assert [r[3] for r in rows[1:]] == [action_text(f, rules_settings) for f in expected]
        for row, f in zip(rows[1:], expected, strict=True):
            if f["evidence"].get("file"):
                assert f"文件「{f['evidence']['file']}」" in row[2]
        warnings = [f for f in sub["findings"] if f["severity"] == "warning"]
        assert len(tables) == (2 if warnings else 1)
        if warnings:
            assert [r.cells[1].text for r in tables[1].rows[1:]] == [problem_text(f) for f in warnings]


def test_no_notices_flag_removes_them(base, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(base, out, symlinks=True)
    assert (out / "notices").is_dir()
    _run(str(SAMPLE_BATCH), "--out", str(out), "--no-notices")
    assert not (out / "notices").exists()


WEISHU = "上海卫数信息技术有限公司-传染病监测预警元宇宙可视化平台"  # two FILE_UNREADABLE: extra files removed
HUANJING = "上海幻境互娱文化传媒有限公司-沉浸式互动影视内容创作平台"  # two FILE_ENCRYPTED: extra files removed
ZHENTU = "上海臻图智造科技有限公司-白车身焊装产线数字孪生"  # passes; its letter removed → LETTER_MISSING


def test_compare_a_resubmission(base, tmp_path):
    """Run 1 with decisions; run 2 with two submissions fixed, one broken and one resubmitted under a
    new folder name; compare pairs them, says what changed, and carries the decisions over."""
    cache = str(base / ".cache")
    decisions = tmp_path / "decisions.toml"
    decisions.write_text(DECISIONS, "utf-8")
    old = tmp_path / "old"
    _run(str(SAMPLE_BATCH), "--out", str(old), "--decisions", str(decisions), "--cache-dir", cache)
    batch = tmp_path / "batch2"
    shutil.copytree(SAMPLE_BATCH, batch)
    for name in (f"{WEISHU}/补充材料.pdf", f"{WEISHU}/附件1-需求征集表（备份）.docx",
                 f"{HUANJING}/场景方案（详细版）.docx", f"{HUANJING}/营业执照副本.pdf", f"{ZHENTU}/附件2-建设承诺书.docx"):
        (batch / name).unlink()
    (batch / YUNYOU).rename(batch / f"{YUNYOU}（补正）")
    new = tmp_path / "new"
    _run(str(batch), "--out", str(new), "--cache-dir", cache)

    dest = tmp_path / "changes"
    before = _tree(tmp_path)
    res = CliRunner().invoke(main, ["compare", str(old), str(new), "--out", str(dest)])
    assert res.exit_code == 0, res.output
    assert {p for p in _tree(tmp_path) - before} == {"changes", "changes/changes.html", "changes/changes.xlsx",
                                                     "changes/decisions.toml"}
    assert "问题已解决 4 个" in res.output and "新出现 1 个" in res.output and "状态改善 2 份，变差 1 份" in res.output
    assert "按单位+场景名称配对 1 份" in res.output and "沿用处理意见 3 条" in res.output

    import pandas as pd

    book = pd.read_excel(dest / "changes.xlsx", sheet_name=None, dtype=object)
    summary = book["变化汇总"].set_index("提交编号（新）")
    n_old = len(json.loads((old / "results.json").read_text("utf-8"))["submissions"])
    assert len(summary) == n_old and summary["提交编号（原）"].notna().all()
    changed = summary[summary["状态变化"] != "不变"]
    assert changed[["原状态", "新状态", "状态变化", "已解决", "仍存在", "新出现"]].to_dict("index") == {
        WEISHU: {"原状态": "不通过", "新状态": "通过", "状态变化": "改善", "已解决": 2, "仍存在": 0, "新出现": 0},
        HUANJING: {"原状态": "不通过", "新状态": "通过", "状态变化": "改善", "已解决": 2, "仍存在": 0, "新出现": 0},
        ZHENTU: {"原状态": "通过", "新状态": "不通过", "状态变化": "变差", "已解决": 0, "仍存在": 0, "新出现": 1},
    }
    resub = summary.loc[f"{YUNYOU}（补正）"]
    assert (resub["提交编号（原）"], resub["配对方式"], resub["新状态"]) == (YUNYOU, "单位+场景名称", "有警告")
    assert (summary.drop(index=[WEISHU, HUANJING, ZHENTU])["已解决"] == 0).all()

    rows = book["问题变化"]
    fixed = rows[rows["变化"] == "已解决"]
    assert sorted(zip(fixed["提交编号（新）"], fixed["规则"], strict=True)) == sorted(
        [(WEISHU, "FILE_UNREADABLE")] * 2 + [(HUANJING, "FILE_ENCRYPTED")] * 2)
    added = rows[rows["变化"] == "新出现"]
    assert list(zip(added["提交编号（新）"], added["规则"], strict=True)) == [(ZHENTU, "LETTER_MISSING")]
    carried = rows[rows["处理"].notna()]
    assert sorted(zip(carried["规则"], carried["处理"], strict=True)) == [
        ("CODE_NOT_SHANGHAI", "已确认（沿用上次）"), ("DIRECTION_NONE", "已驳回（沿用上次）"),
        ("EMAIL_INVALID", "已驳回（沿用上次）")]
    html = (dest / "changes.html").read_text("utf-8")
    assert "&lt;b&gt;元宇宙+智慧旅游&lt;/b&gt;" in html and "<b>元宇宙+智慧旅游" not in html

    # The carried decisions, given to the new run, make its statuses what compare counted.
    _run(str(batch), "--out", str(new), "--cache-dir", cache, "--decisions", str(dest / "decisions.toml"))
    data = _results(new)
    assert data["run"]["decisions"]["stale"] == []
    assert {s["submission_id"]: s["status"] for s in data["submissions"]} == {
        sid: {"通过": "pass", "有警告": "warn", "待人工核对": "review", "不通过": "fail"}[st]
        for sid, st in summary["新状态"].items()}


def test_compare_refuses_a_folder_without_results(base, tmp_path):
    res = CliRunner().invoke(main, ["compare", str(base), str(tmp_path), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "results.json" in res.output
    assert not (tmp_path / "c").exists()


ZHIYU = "上海智愈数字科技有限公司-智慧病房数字孪生管理平台"  # two JOINT_UNIT_DUPLICATE, on joint_units[0] and [1]


def test_match_rule_field_and_later_decision_wins(base):
    """parse → match on the sample run's results: a rule alone matches each of its findings in the
    submission, a field narrows it, a later decision on the same finding replaces an earlier one."""
    from pipeline.decisions import keys_of_submission, match, parse_toml

    keys = {s["submission_id"]: keys_of_submission(s) for s in _results(base)["submissions"]}
    dup = [i for i, k in enumerate(keys[ZHIYU]) if k.rule == "JOINT_UNIT_DUPLICATE"]
    assert len(dup) == 2
    decisions = parse_toml(f'''
[[decision]]
submission = "{ZHIYU}"
rule = "JOINT_UNIT_DUPLICATE"
action = "confirm"
[[decision]]
submission = "{ZHIYU}"
rule = "JOINT_UNIT_DUPLICATE"
field = "joint_units[1].code"
action = "驳回"
note = "第2家为分公司，代码不同"
[[decision]]
submission = "{ZHIYU}"
rule = "JOINT_UNIT_DUPLICATE"
field = "joint_units[7].code"
action = "dismiss"
[[decision]]
submission = "{ZHIYU}"
rule = "JOINT_UNIT_DUPLICATE"
file_role = "letter"
action = "dismiss"
''')
    assigned, stale = match(decisions, keys)
    field_of = {i: keys[ZHIYU][i].field for i in dup}
    assert {field_of[i]: assigned[(ZHIYU, i)].action for i in dup} == {
        "joint_units[0].code": "confirm", "joint_units[1].code": "dismiss"}
    assert [d.source for d, _ in stale] == ["decisions.toml 第3条", "decisions.toml 第4条"]
    assert len(assigned) == 2


def test_workbook_with_formula_like_text_round_trips(tmp_path):
    """A file named like a formula: the workbook neutralises it, a decision on that row still
    matches, and a formula-like note is kept as text, not grown an apostrophe per round."""
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH / YUNYOU, batch / YUNYOU)
    (batch / YUNYOU / "说明.txt").rename(batch / YUNYOU / "=HYPERLINK(1).txt")
    out = tmp_path / "out"
    _run(str(batch), "--out", str(out))
    for _round in range(2):
        wb = openpyxl.load_workbook(out / "consolidated.xlsx")
        ws = wb["问题清单"]
        header = [c.value for c in ws[1]]
        col = {h: i for i, h in enumerate(header)}
        row = next(r for r in ws.iter_rows(min_row=2) if r[col["规则"]].value == "FILE_UNSUPPORTED")
        assert row[col["文件"]].value == "'=HYPERLINK(1).txt"
        assert row[col["备注"]].value == (None if _round == 0 else "'=1+1 已核实")
        row[col["处理"]].value = "驳回"
        row[col["备注"]].value = "'=1+1 已核实" if _round == 0 else row[col["备注"]].value
        wb.save(out / "consolidated.xlsx")
        _run(str(batch), "--out", str(out), "--decisions", str(out / "consolidated.xlsx"))
        finding = next(f for f in _subs(_results(out))[YUNYOU]["findings"] if f["rule"] == "FILE_UNSUPPORTED")
        assert finding["decision"]["action"] == "dismiss" and finding["decision"]["note"] == "=1+1 已核实"
        cell = openpyxl.load_workbook(out / "consolidated.xlsx")["问题清单"].cell(row[0].row, col["备注"] + 1)
        assert (cell.data_type, cell.value) == ("s", "'=1+1 已核实")
