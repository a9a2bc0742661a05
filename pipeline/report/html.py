"""HTML reports (minimal; the reports issue builds the real pages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from ..config import Rules
from ..safety import sanitize_name

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_INDEX = _ENV.from_string(
    "<!doctype html><meta charset=utf-8><title>批次检查结果</title><h1>批次检查结果</h1><ul>"
    "{% for s in subs %}<li><a href='reports/{{ s.file }}'>{{ s.submission_id }}</a> {{ s.status }}</li>{% endfor %}</ul>"
)
_REPORT = _ENV.from_string(
    "<!doctype html><meta charset=utf-8><title>{{ s.submission_id }}</title><h1>{{ s.submission_id }}</h1>"
    "<ul>{% for f in s.findings %}<li>{{ f.severity }} {{ f.rule }} {{ f.message }}</li>{% endfor %}</ul>"
)


def report_filename(submission_id: str) -> str:
    return sanitize_name(submission_id) + ".html"


def write_html(data: dict[str, Any], out_dir: Path, rules: Rules) -> dict[str, Path]:
    from . import atomic_write_bytes

    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    subs = []
    for s in data["submissions"]:
        name = report_filename(s["submission_id"])
        atomic_write_bytes(reports / name, _REPORT.render(s=s).encode("utf-8"))
        subs.append({**s, "file": name})
    index = out_dir / "index.html"
    atomic_write_bytes(index, _INDEX.render(subs=subs).encode("utf-8"))
    return {"index": index, "reports": reports}
