"""DIR/changes.html and DIR/changes.xlsx: what a resubmission fixed (pipeline/compare.py).

The page is rendered by jinja2 with autoescape (applicant text escaped), self-contained like the
reports; the workbook is written with the same typed, formula-safe cells as consolidated.xlsx.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from xlsxwriter.workbook import Workbook

from ..compare import Pair
from ..config import Rules
from ..decisions import ACTION_LABELS
from ..labels import field_label
from . import atomic_write_bytes
from .html import _csp, _static, beijing_time
from .labels import FILE_KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS, display_value
from .xlsx import WORKBOOK_OPTIONS, Column, _Book, _sheet

CHANGE_LABELS = {"fixed": "已解决", "open": "仍存在", "new": "新出现"}
ROLE_LABELS = {**FILE_KIND_LABELS, "unknown": "其他文件", "none": "整份申报"}
SUMMARY_SHEET, FINDINGS_SHEET = "变化汇总", "问题变化"

_ENV = Environment(loader=PackageLoader("pipeline.report", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _names(p: Pair) -> tuple[str, str]:
    sub = p.new or p.old or {}
    fields = sub.get("fields") or {}
    return display_value(fields.get("lead_unit_name")) or "", display_value(fields.get("scenario_name")) or ""


def _decision_text(c: Any) -> str:
    if not c.decision or c.decision.get("action") not in ACTION_LABELS:
        return ""
    text = "已" + ACTION_LABELS[c.decision["action"]]
    if c.carried:
        text += "（沿用上次）"
    return text


def _status(st: str | None) -> str:
    return STATUS_LABELS.get(st, st or "—") if st else "—"


def changes_view(pairs: list[Pair], summary: dict[str, int], old_dir: str, new_dir: str,
                 runs: tuple[dict[str, Any], dict[str, Any]], rules: Rules) -> dict[str, Any]:
    rows = []
    for p in pairs:
        unit, scenario = _names(p)
        rows.append({
            "old_id": p.old_id, "new_id": p.new_id,
            "paired_by": {"id": "编号相同", "name": "单位+场景名称"}.get(p.paired_by, ""),
            "unit": unit, "scenario": scenario,
            "old_status": p.old_status, "old_label": _status(p.old_status),
            "new_status": p.new_status, "new_label": _status(p.new_status),
            "change": p.status_change,
            "fixed": p.count("fixed") if p.old and p.new else 0,
            "open": p.count("open"),
            "new": p.count("new") if p.old and p.new else 0,
            "findings": [{
                "change": c.change, "change_label": CHANGE_LABELS[c.change],
                "severity": c.finding.get("severity"),
                "severity_label": SEVERITY_LABELS.get(c.finding.get("severity"), c.finding.get("severity")),
                "rule": c.finding.get("rule"), "field": field_label(c.finding.get("field"), rules),
                "role": ROLE_LABELS.get(c.role, c.role), "message": c.finding.get("message"),
                "decision": _decision_text(c), "note": (c.decision or {}).get("note") or "",
                "dismissed": bool(c.decision and c.decision.get("action") == "dismiss"),
            } for c in p.findings] if p.old and p.new else [],
        })
    return {"rows": rows, "summary": summary, "old_dir": old_dir, "new_dir": new_dir,
            "old_started": beijing_time(runs[0].get("started")), "new_started": beijing_time(runs[1].get("started"))}


def write_changes(view: dict[str, Any], dest: Path) -> dict[str, Path]:
    dest.mkdir(parents=True, exist_ok=True)
    html = _ENV.get_template("changes.html").render(v=view, css=Markup(_static("report.css")), csp=_csp(None))
    paths = {"html": dest / "changes.html", "xlsx": dest / "changes.xlsx"}
    atomic_write_bytes(paths["html"], html.encode("utf-8"))
    atomic_write_bytes(paths["xlsx"], _workbook(view))
    return paths


def _workbook(view: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    wb = Workbook(buf, WORKBOOK_OPTIONS)
    book = _Book(wb)
    rows = view["rows"]
    summary = [
        Column("提交编号（新）", lambda r: r["new_id"], "新一次检查中的编号；空白表示未再提交"),
        Column("提交编号（原）", lambda r: r["old_id"], "上一次检查中的编号；空白表示新增申报"),
        Column("配对方式", lambda r: r["paired_by"] or None, "编号相同，或编号不同但牵头单位和场景名称相同"),
        Column("牵头单位名称", lambda r: r["unit"] or None, "牵头单位"),
        Column("场景名称", lambda r: r["scenario"] or None, "场景名称"),
        Column("原状态", lambda r: r["old_label"], "上一次检查的状态", style=lambda r: r["old_status"]),
        Column("新状态", lambda r: r["new_label"], "新一次检查的状态（沿用的驳回意见不计入）", style=lambda r: r["new_status"]),
        Column("状态变化", lambda r: r["change"], "改善、变差、不变、新增申报或未再提交"),
        Column("已解决", lambda r: r["fixed"], "上一次有、这一次没有的问题数", "number"),
        Column("仍存在", lambda r: r["open"], "两次都有的问题数（同一规则、同一字段或栏目、同一类文件）", "number"),
        Column("新出现", lambda r: r["new"], "这一次才出现的问题数", "number"),
    ]
    _sheet(book, SUMMARY_SHEET, summary, rows, freeze=(1, 1))
    items = [(r, f) for r in rows for f in r["findings"]]
    findings = [
        Column("提交编号（新）", lambda x: x[0]["new_id"], "新一次检查中的编号"),
        Column("提交编号（原）", lambda x: x[0]["old_id"], "上一次检查中的编号"),
        Column("变化", lambda x: x[1]["change_label"], "已解决、仍存在或新出现"),
        Column("级别", lambda x: x[1]["severity_label"], "问题的严重程度", style=lambda x: x[1]["severity"]),
        Column("规则", lambda x: x[1]["rule"], "规则编号"),
        Column("字段名称", lambda x: x[1]["field"] or None, "涉及的字段或栏目"),
        Column("文件类别", lambda x: x[1]["role"], "问题所在文件的类别（附件1、附件2）"),
        Column("问题说明", lambda x: x[1]["message"], "已解决的问题为上一次的说明，其余为这一次的说明", "text", 60),
        Column("处理", lambda x: x[1]["decision"] or None, "审核人员的处理意见；“沿用上次”表示从上一次检查的同一问题沿用"),
        Column("备注", lambda x: x[1]["note"] or None, "处理意见的说明", "text", 30),
    ]
    _sheet(book, FINDINGS_SHEET, findings, items)
    wb.set_properties({"author": "pipeline", "title": "补正前后对比"})
    wb.close()
    return buf.getvalue()
