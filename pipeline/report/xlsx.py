"""consolidated.xlsx (minimal; the reports issue builds the full workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ..config import Rules


def safe_cell(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_xlsx(data: dict[str, Any], out_dir: Path, rules: Rules) -> Path:
    from . import atomic_write_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["提交编号", "状态", "牵头单位名称", "场景名称"])
    for s in data["submissions"]:
        f = s["fields"]
        ws.append([safe_cell(s["submission_id"]), s["status"], safe_cell(f.get("lead_unit_name")), safe_cell(f.get("scenario_name"))])
    import io

    buf = io.BytesIO()
    wb.save(buf)
    path = out_dir / "consolidated.xlsx"
    atomic_write_bytes(path, buf.getvalue())
    return path
