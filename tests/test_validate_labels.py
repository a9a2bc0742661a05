"""One map of field names (pipeline/labels.py) for the validator's messages and the reports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.assemble import build_submission
from pipeline.extract import extract_file
from pipeline.labels import FIELD_LABELS, SENTENCE_LABELS, field_label
from pipeline.validate import validate_submission

try:
    from .docx_factory import FormSpec, LetterSpec, make_docx
    from .validate_support import RULES, findings_of
except ImportError:  # tests/ run as a plain directory
    from docx_factory import FormSpec, LetterSpec, make_docx
    from validate_support import RULES, findings_of

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


@pytest.mark.parametrize(("key", "column", "sentence"), [
    ("lead_unit_code", "组织机构代码/三证合一码", "牵头单位组织机构代码/三证合一码"),
    ("leader_email", "负责人E-mail", "负责人E-mail"),
    ("contact_mobile", "联系人手机", "联系人手机"),
    ("joint_units", "联合申报单位", "联合申报单位"),
    ("joint_units[1]", "联合申报单位第2家", "第2家联合申报单位"),
    ("joint_units[1].code", "联合申报单位第2家·组织机构代码/三证合一码", "第2家联合申报单位的组织机构代码/三证合一码"),
    ("letter_clauses", "承诺条款", "承诺书承诺条款"),
    ("letter_clauses[2]", "承诺条款第3条", "承诺书第3条承诺"),
    ("letter_scenario_name", "承诺书场景名称", "承诺书中的场景名称"),
    ("letter_has_seal", "承诺书盖章", "承诺书公章"),
    ("funding", "资金投入", "资金投入"),
    ("sections.funding", "资金投入", "资金投入"),
    ("section_lengths.timeline", "时间进度字数", "时间进度字数"),
    ("something_new", "something_new", "something_new"),
    (None, "", ""),
])
def test_field_label_styles(key, column, sentence):
    assert field_label(key, RULES) == column
    assert field_label(key, RULES, style="sentence") == sentence


def test_every_field_read_from_a_real_docx_has_a_label(tmp_path):
    path = make_docx(tmp_path / "both.docx", FormSpec(lead_unit_code="12345"), LetterSpec())
    sub = build_submission("s", "folder", "按文件夹归组", [extract_file(path, path.name, RULES)], [])
    validate_submission(sub, RULES)
    assert set(sub.fields) == set(FIELD_LABELS)
    assert set(SENTENCE_LABELS) <= set(FIELD_LABELS)
    (code,) = findings_of(sub, "CODE_INVALID")
    assert code.message.startswith(SENTENCE_LABELS["lead_unit_code"] + "「12345」")


def _imports(path: Path) -> set[str]:
    """Absolute names of the pipeline modules `path` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(PIPELINE.parent).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            out.add(".".join(p for p in (base, node.module or "") if p))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_labels_flow_one_way():
    """validate never imports report; the shared labels import neither."""
    for path in (PIPELINE / "validate").glob("*.py"):
        assert not [m for m in _imports(path) if m.startswith("pipeline.report")], path.name
    assert not [m for m in _imports(PIPELINE / "labels.py") if m.startswith(("pipeline.report", "pipeline.validate"))]
    assert not (PIPELINE / "validate" / "labels.py").exists()
    assert {"pipeline.labels"} <= _imports(PIPELINE / "validate" / "registry.py")
    assert {"pipeline.labels"} <= _imports(PIPELINE / "report" / "html.py") & _imports(PIPELINE / "report" / "xlsx.py")
