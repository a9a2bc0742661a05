"""Rules the sample batch cannot show, on real files through the engine: OCR_UNAVAILABLE (a scanned
letter read with OCR switched off) and NARRATIVE_REUSED (one sample form copied under another unit)."""

from __future__ import annotations

import shutil
from pathlib import Path

from docx import Document

from pipeline.engine import RunOptions, run_batch

try:
    from .conftest import SAMPLE_BATCH
    from .validate_support import RULES, findings_of, make_uscc, rule_ids
except ImportError:  # tests/ is not a package
    from conftest import SAMPLE_BATCH
    from validate_support import RULES, findings_of, make_uscc, rule_ids

SCANNED_ONLY = "上海万象云景数字科技有限公司-苏州河滨水空间数字孪生导览"
CLEAN = "上海臻图智造科技有限公司-白车身焊装产线数字孪生"


def _replace_text(path: Path, replacements: dict[str, str]) -> None:
    """Rewrite the paragraphs (body and table cells) that contain one of the old strings, keeping
    the runs that hold pictures (the seal)."""
    doc = Document(str(path))
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for p in paragraphs:
        text = p.text
        new = text
        for old, value in replacements.items():
            new = new.replace(old, value)
        runs = [r for r in p.runs if not r._r.xpath(".//w:drawing | .//w:pict")]  # keep the seal picture
        if new != text and runs:
            runs[0].text = new
            for run in runs[1:]:
                run.text = ""
    doc.save(str(path))


def test_ocr_unavailable_on_a_scanned_letter(tmp_path):
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH / SCANNED_ONLY, batch / SCANNED_ONLY)
    result = run_batch(batch, RULES, RunOptions(workers=1, ocr=False))
    (sub,) = result.submissions
    (f,) = findings_of(sub, "OCR_UNAVAILABLE")
    assert f.severity == "error" and f.evidence.file == "附件2-建设承诺书（扫描件）.pdf"
    assert f.evidence.file in f.message and "无法识别文字" in f.message
    # One cause, one finding: the unread scan was the letter, and says so; the form was never there.
    assert "缺少可读取的附件2" in f.message and f.details["missing"] == ["letter"]
    assert "FORM_MISSING" in rule_ids(sub) and "LETTER_MISSING" not in rule_ids(sub)


def test_narrative_reused_between_two_units_on_real_files(tmp_path):
    batch = tmp_path / "batch"
    shutil.copytree(SAMPLE_BATCH / CLEAN, batch / CLEAN)
    copy = batch / "上海镜像仿真科技有限公司-焊装车间虚拟调试平台"
    shutil.copytree(SAMPLE_BATCH / CLEAN, copy)
    replacements = {
        "上海臻图智造科技有限公司": "上海镜像仿真科技有限公司",
        "91310114MA1372953H": make_uscc("91", "310104", "MA1JX001"),
        "白车身焊装产线数字孪生": "焊装车间虚拟调试平台",
    }
    for docx in copy.glob("*.docx"):
        _replace_text(docx, replacements)
    result = run_batch(batch, RULES, RunOptions(workers=1))
    a, b = result.submissions
    for sub, other in ((a, b), (b, a)):
        reused = findings_of(sub, "NARRATIVE_REUSED")
        assert "scenario_overview" in {f.field for f in reused}, [(f.rule, f.field) for f in sub.findings]
        assert all(other.submission_id in f.message for f in reused)
        assert not findings_of(sub, "DUPLICATE_SUBMISSION")
        assert rule_ids(sub) == {"NARRATIVE_REUSED"}
