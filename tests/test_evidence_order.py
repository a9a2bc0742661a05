"""Issue #19 item 4: evidence a reviewer can act on, findings in the form's order (real files, real CLI)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import docx
import pytest

from pipeline.validate.textcount import count_zi

from .conftest import SAMPLE_BATCH, run_console

REPO = Path(__file__).resolve().parent.parent
PIPELINE = Path(sys.executable).parent / "pipeline"
TOO_LONG = "上海瑞影医疗科技有限公司-智能分诊医疗数字人"  # its 已有基础 is 522 字 of 500
# 附件1 as printed, then 附件2 (SPEC §2); a finding without a field (a file, the whole submission) first.
PRINTED = ["lead_unit_name", "lead_unit_code", "scenario_name", "track", "direction", "address",
           "leader_name", "leader_title", "leader_phone", "leader_mobile", "leader_fax", "leader_email",
           "contact_name", "contact_title", "contact_phone", "contact_mobile", "contact_fax", "contact_email",
           "unit_nature", "unit_nature_other", "joint_units",
           "lead_unit_intro", "scenario_overview", "existing_foundation", "requirement_analysis", "timeline",
           "stage_goals", "funding",
           "letter_scenario_name", "letter_clauses", "letter_contact", "letter_contact_phone", "letter_date",
           "letter_has_seal"]


def _place(field: str | None) -> int:
    if not field:
        return -1
    base = field.split("[")[0].split(".")[0]
    return PRINTED.index(base) if base in PRINTED else len(PRINTED)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("order")
    batch = root / "batch"
    shutil.copytree(SAMPLE_BATCH, batch)
    # A form with problems all over it: the findings must come back as the form prints the fields.
    form = batch / TOO_LONG / "附件1-需求征集表.docx"
    document = docx.Document(str(form))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text.strip().endswith("@ruiying-med.com") or "@" in cell.text and len(cell.text) < 40:
                    cell.paragraphs[0].text = "wang.li#ruiying"  # an e-mail without @
    document.save(str(form))
    out = root / "out"
    data = run_console(batch, out, "-q")
    return out, {s["submission_id"]: s for s in data["submissions"]}


def test_section_too_long_shows_where_the_limit_falls_and_what_is_past_it(results):
    _, subs = results
    (f,) = [f for f in subs[TOO_LONG]["findings"] if f["rule"] == "SECTION_TOO_LONG"]
    assert f["field"] == "existing_foundation" and f["details"]["over"] == 22
    ex = f["evidence"]["excerpt"]
    assert ex.startswith("第500字止于「") and "之后超出的部分：「" in ex
    over = f["details"]["over_text"]
    assert count_zi(over) == 22  # exactly the 字 past the limit …
    assert over in ex  # … all shown in the evidence (short enough here)
    assert "超出部分自「。」起" not in ex


def test_findings_follow_the_form_within_each_severity(results):
    _, subs = results
    mixed = 0
    for sid, sub in subs.items():
        by_sev: dict[str, list[int]] = {}
        for f in sub["findings"]:
            by_sev.setdefault(f["severity"], []).append(_place(f["field"]))
        for sev, places in by_sev.items():
            assert places == sorted(places), (sid, sev, [(f["rule"], f["field"]) for f in sub["findings"]])
            mixed += len(set(places)) > 1
    assert mixed >= 3  # several submissions have findings on different fields of one severity
    fields = [f["field"] for f in subs[TOO_LONG]["findings"] if f["severity"] == "warning"]
    assert "leader_email" in fields or "contact_email" in fields, fields
