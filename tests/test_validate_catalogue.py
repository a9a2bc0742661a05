"""The rule catalogue: every rule of SPEC §4 declared once, with its severity, printed by `pipeline rules`."""

from __future__ import annotations

import copy
import re

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import DEFAULT_RULES, Rules
from pipeline.validate import catalogue
from pipeline.validate.registry import REGISTRY

try:
    from .validate_support import RULES
except ImportError:  # tests/ is not a package
    from validate_support import RULES

# SPEC §4, rule → default severity (NARRATIVE_REUSED comes from the validation issue).
SPEC_RULES = {
    "FILE_UNREADABLE": "error", "FILE_ENCRYPTED": "error", "FILE_UNSUPPORTED": "warning", "OCR_UNAVAILABLE": "error",
    "FILE_TYPE_MISMATCH": "warning", "EXTRACTION_INCOMPLETE": "review",
    "FORM_MISSING": "error", "LETTER_MISSING": "error", "FIELD_MISSING": "error", "CODE_INVALID": "error",
    "CODE_NOT_SHANGHAI": "error", "UNIT_NATURE_CODE_MISMATCH": "warning", "DIRECTION_NONE": "error",
    "DIRECTION_MULTIPLE": "error", "UNIT_NATURE_NONE": "error", "UNIT_NATURE_MULTIPLE": "error",
    "UNIT_NATURE_OTHER_UNSPECIFIED": "warning", "MOBILE_INVALID": "warning", "PHONE_INVALID": "warning",
    "EMAIL_INVALID": "warning", "ADDRESS_NOT_SHANGHAI": "warning", "JOINT_UNITS_TOO_MANY": "error",
    "JOINT_UNIT_DUPLICATE": "error", "SECTION_EMPTY": "error", "SECTION_TOO_LONG": "error",
    "TECH_ELEMENTS_MISSING": "warning", "OVERVIEW_TOPICS_MISSING": "warning", "DIRECTION_CONTENT_MISMATCH": "warning",
    "SCENARIO_NAME_MISMATCH": "error", "LETTER_DATE_MISSING": "warning", "LETTER_DATE_OUT_OF_WINDOW": "error",
    "LETTER_CLAUSES_ALTERED": "error", "SEAL_MISSING": "warning", "DUPLICATE_SUBMISSION": "error",
    "NARRATIVE_REUSED": "warning",
}


def test_catalogue_is_the_spec_rule_table():
    records = catalogue(RULES)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert {r["id"]: r["severity"] for r in records} == SPEC_RULES
    assert set(REGISTRY) == set(SPEC_RULES)
    for r in records:
        assert re.search(r"[\u4e00-\u9fff]", r["description"]) and re.search(r"[\u4e00-\u9fff]", r["message"])
        assert r["scope"] in ("file", "form", "letter", "submission", "batch")


def test_severities_in_the_rules_file_override_the_defaults():
    raw = copy.deepcopy(RULES.raw)
    raw["severities"] = {"SEAL_MISSING": "error", "ADDRESS_NOT_SHANGHAI": "info"}
    records = {r["id"]: r for r in catalogue(Rules(raw=raw, source="t", sha256="t"))}
    assert records["SEAL_MISSING"]["severity"] == "error"
    assert records["ADDRESS_NOT_SHANGHAI"]["severity"] == "info"
    assert records["FORM_MISSING"]["severity"] == "error"


def test_pipeline_rules_prints_every_rule(tmp_path):
    res = CliRunner().invoke(main, ["rules"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == [r["id"] for r in catalogue(RULES)]
    seal = next(line for line in lines if line.startswith("SEAL_MISSING"))
    assert "警告" in seal and "公章" in seal

    custom = tmp_path / "rules.toml"
    text = DEFAULT_RULES.read_text("utf-8")
    custom.write_text(text.replace("[severities]\n", '[severities]\nSEAL_MISSING = "error"\n', 1), "utf-8")
    res = CliRunner().invoke(main, ["rules", "--rules", str(custom)])
    assert res.exit_code == 0, res.output
    assert "错误" in next(line for line in res.output.splitlines() if line.startswith("SEAL_MISSING"))
