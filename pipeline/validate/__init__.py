"""Validation: findings from the document model, never touching files.

Minimal version from the foundation issue; the full rule catalogue lands with the validation issue.
"""

from __future__ import annotations

from typing import Any

from ..config import Rules
from ..model import Evidence, Finding, Submission

FILE_RULES = {
    "FILE_UNREADABLE": ("error", "文件无法读取"),
    "FILE_ENCRYPTED": ("error", "文件设有密码保护"),
    "FILE_UNSUPPORTED": ("warning", "不支持的文件类型"),
    "OCR_UNAVAILABLE": ("error", "扫描页无文字层，且未安装 OCR 引擎"),
}


def validate_submission(sub: Submission, rules: Rules) -> None:
    for p in sub.file_problems:
        sev, title = FILE_RULES[p.rule]
        sub.findings.append(Finding(p.rule, rules.severity(p.rule, sev), None, f"{title}：{p.reason}",
                                    Evidence(file=p.file, page=p.page)))
    kinds = {d.kind for d in sub.documents}
    if "form" not in kinds:
        sub.findings.append(Finding("FORM_MISSING", "error", None, "缺少附件1《需求征集表》"))
    if "letter" not in kinds:
        sub.findings.append(Finding("LETTER_MISSING", "error", None, "缺少附件2《建设承诺书》"))
    sub.compute_status()


def validate_batch(submissions: list[Submission], rules: Rules) -> dict[str, Any] | None:
    for sub in submissions:
        validate_submission(sub, rules)
    return None


def catalogue(rules: Rules) -> list[dict[str, Any]]:
    """The rule catalogue as records: id, severity, field, description (Chinese)."""
    return [{"id": k, "severity": rules.severity(k, v[0]), "field": None, "description": v[1]} for k, v in FILE_RULES.items()]
