"""Issue #19 item 5: a workbook analysts can count with, read back with pandas (real files, real CLI).

The samples plus a truncated zip: unknown values are blank (NaN) never 0, every uploaded file has its
real size and SHA-256, the 赛道方向 and 覆盖 sheets add up with results.json, seal crops are files
under reports/assets, and the README's pandas example runs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from .conftest import SAMPLE_BATCH, run_console

REPO = Path(__file__).resolve().parent.parent
PIPELINE = Path(sys.executable).parent / "pipeline"
BROKEN = "损坏的压缩包.zip"
SCHEMA = json.loads((REPO / "pipeline" / "schema" / "results.schema.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("book")
    batch = root / "batch"
    shutil.copytree(SAMPLE_BATCH, batch)
    whole = (SAMPLE_BATCH / "上海申矽智能装备有限公司-半导体设备总装工厂级元宇宙平台.zip").read_bytes()
    (batch / BROKEN).write_bytes(whole[: len(whole) // 3])  # cut off mid-upload: no central directory
    out = root / "out"
    data = run_console(batch, out, "-q")
    book = pd.read_excel(out / "consolidated.xlsx", sheet_name=None)
    return batch, out, data, book


def test_unknown_values_are_blank_not_zero(run):
    _, _, data, book = run
    summary = book["汇总"].set_index("提交编号")
    lengths = [c for c in summary.columns if c.endswith("（字数）")]
    assert len(lengths) == 7
    for col in [*lengths, "联合申报单位数"]:
        assert summary[col].dtype == "float64", col  # numbers, with NaN where unknown
    for col in ("错误数", "待核对数", "警告数", "提示数"):
        assert summary[col].dtype == "int64", col
    no_form = [s["submission_id"] for s in data["submissions"]
               if not any(f["kind"] in ("form", "both") for f in s["files"])]
    assert len(no_form) >= 2  # a scanned-only submission and the broken zip
    for sid in no_form:
        assert summary.loc[sid, lengths].isna().all(), sid
        assert pd.isna(summary.loc[sid, "联合申报单位数"]), sid
    read = [s["submission_id"] for s in data["submissions"] if s["fields"].get("section_lengths", {}).get("funding")]
    assert (summary.loc[read, "资金投入（字数）"] > 0).all()


def test_every_uploaded_file_has_its_real_size_and_hash(run):
    batch, _, _, book = run
    files = book["文件"]
    assert files["大小（字节）"].dtype == "int64"
    assert files["SHA-256"].notna().all(), files[files["SHA-256"].isna()]
    assert files["SHA-256"].str.fullmatch(r"[0-9a-f]{64}").all()
    (broken,) = files[files["文件"] == BROKEN].itertuples(index=False)
    raw = (batch / BROKEN).read_bytes()
    assert broken[files.columns.get_loc("大小（字节）")] == len(raw) > 0
    assert broken[files.columns.get_loc("SHA-256")] == hashlib.sha256(raw).hexdigest()


def test_track_direction_sheet_adds_up(run):
    _, _, data, book = run
    sheet = book["赛道方向"]
    for col in ("申报数", "通过", "有警告", "待人工核对", "不通过"):
        assert sheet[col].dtype == "int64", col
    assert sheet["申报数"].sum() == len(data["submissions"])
    counts = data["run"]["counts"]
    assert (sheet["通过"].sum(), sheet["有警告"].sum(), sheet["待人工核对"].sum(), sheet["不通过"].sum()) == (
        counts["pass"], counts["warn"], counts["review"], counts["fail"])
    assert (sheet["申报数"] == sheet[["通过", "有警告", "待人工核对", "不通过"]].sum(axis=1)).all()
    row = sheet[(sheet["赛道"] == "工业") & (sheet["申报方向"] == "元宇宙+产线")]
    assert int(row["申报数"].iloc[0]) == sum(1 for s in data["submissions"] if s["fields"].get("direction") == "元宇宙+产线")


def test_coverage_sheet_has_terms_per_element_and_topic(run):
    _, _, data, book = run
    cov = book["覆盖"]
    assert cov["匹配次数"].dtype == "int64"
    sub = next(s for s in data["submissions"] if s["coverage"].get("tech_elements"))
    mine = cov[cov["提交编号"] == sub["submission_id"]]
    elements = mine[mine["类别"] == "技术要素"].set_index("名称")
    topics = mine[mine["类别"] == "概述要点"].set_index("名称")
    assert list(elements.index) == list(sub["coverage"]["tech_elements"])
    assert len(topics) == 7
    for name, hits in sub["coverage"]["tech_elements"].items():
        assert elements.loc[name, "匹配次数"] == len(hits)
        assert (elements.loc[name, "是否涉及"] == "是") == bool(hits)
        for term in {h["term"] for h in hits}:
            assert term in elements.loc[name, "匹配词"].split("、")
    assert set(cov["提交编号"]) == {s["submission_id"] for s in data["submissions"] if s["coverage"]}


def test_seal_crops_are_files_referenced_by_path(run):
    _, out, data, _ = run
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert "crop_png_b64" not in (out / "results.json").read_text("utf-8")
    paths = [img["crop_path"] for s in data["submissions"] for img in s.get("images") or [] if img.get("crop_path")]
    assert len(paths) >= 10
    for path in paths:
        png = (out / path).read_bytes()
        assert png.startswith(b"\x89PNG") and path.startswith("reports/assets/")
    sealed = next(s for s in data["submissions"] if any(i.get("looks_like_seal") for i in s.get("images") or []))
    page = next((out / "reports").glob(f"{sealed['submission_id']}.html")).read_text("utf-8")
    assert re.search(r'<img[^>]+src="assets/[0-9a-f]+\.png"', page) and "base64" not in page


def test_readme_pivot_example_runs(run, capsys):
    _, out, data, _ = run
    readme = (REPO / "README.md").read_text("utf-8")
    code = re.search(r"<!-- pivot-example -->\n```python\n(.*?)```", readme, re.S).group(1)
    scope: dict = {}
    exec(code.replace('"out/consolidated.xlsx"', repr(str(out / "consolidated.xlsx"))), scope)  # noqa: S102
    share, by_track = scope["share"], scope["by_track"]
    assert sorted(share.columns) == sorted(["数据流通", "内容生产", "数字孪生", "感知交互", "网络与计算"])
    assert ((share >= 0) & (share <= 1)).all().all()
    assert by_track["申报数"].sum() == len(data["submissions"])
    assert "网络与计算" in capsys.readouterr().out
