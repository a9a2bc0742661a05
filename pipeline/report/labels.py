"""Chinese display names of statuses, severities, file kinds and origins, and how a value is shown.

Used by the HTML and the xlsx only; the names of fields live in `pipeline/labels.py`, shared with
the validator's messages.
"""

from __future__ import annotations

from typing import Any

from ..labels import FIELD_LABELS

STATUS_LABELS: dict[str, str] = {"pass": "通过", "warn": "有警告", "review": "待人工核对", "fail": "不通过"}
STATUS_ORDER: dict[str, int] = {"fail": 0, "review": 1, "warn": 2, "pass": 3}
# The statuses from best to worst, as the index's cards, the workbook's counts and the CLI list them.
STATUSES: tuple[str, ...] = ("pass", "warn", "review", "fail")
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "review": "待核对", "warning": "警告", "info": "提示"}
SEVERITIES: tuple[str, ...] = ("error", "review", "warning", "info")
FILE_KIND_LABELS: dict[str, str] = {
    "form": "附件1 需求征集表",
    "letter": "附件2 建设承诺书",
    "both": "附件1 + 附件2",
    "unknown": "未识别",
}
ORIGIN_LABELS: dict[str, str] = {"folder": "文件夹", "zip": "压缩包", "loose": "散放文件"}
YES_NO: dict[bool, str] = {True: "是", False: "否"}


def display_value(value: Any) -> str | None:
    """A field value as one line of text: lists joined with 、, booleans as 是/否, blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, (list, tuple)):
        parts = [display_value(v) for v in value]
        joined = "、".join(p for p in parts if p)
        return joined or None
    if isinstance(value, dict):
        return "；".join(f"{k}: {display_value(v)}" for k, v in value.items() if v not in (None, ""))
    text = str(value)
    return text if text != "" else None


def scalar_field_keys(submissions: list[dict[str, Any]]) -> list[str]:
    """§2 keys shown one per column: the known ones in form order, then any unknown extras seen."""
    structured = {"joint_units", "sections", "section_lengths", "letter_clauses"}
    keys = [k for k in FIELD_LABELS if k not in structured]
    extra: list[str] = []
    for s in submissions:
        for k in s.get("fields") or {}:
            if k not in FIELD_LABELS and k not in extra:
                extra.append(k)
    return keys + sorted(extra)
