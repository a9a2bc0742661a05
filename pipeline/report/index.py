"""index.html: the batch at a glance, built from results.json's data only.

`build_index_view` reduces the batch to plain values (counts by status, track and direction, the
most frequent findings, one row per submission); `render_index_view` renders them with the index
template and its script, pinned by the page's Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from markupsafe import Markup

from ..config import Rules
from ..decisions import counts
from ..labels import rule_name
from .html import (
    _ENV,
    MULTIPLE,
    NOT_CHOSEN,
    _csp,
    _list,
    _run_view,
    _static,
    href_path,
    provisional_report_file,
)
from .labels import SEVERITY_LABELS, STATUS_LABELS, STATUS_ORDER, STATUSES, display_value
from .reuse import shared_view


def _bucket(value: Any) -> str:
    items = _list(value)
    if not items:
        return NOT_CHOSEN
    return items[0] if len(items) == 1 else MULTIPLE


def _bars(counter: Counter, order: list[str], total: int) -> list[dict[str, Any]]:
    keys = [k for k in order if counter.get(k)] + sorted(k for k in counter if k not in order and counter[k])
    top = max(counter.values(), default=0) or 1
    return [{"label": k, "count": counter[k], "percent": 100.0 * counter[k] / top,
             "share": f"{100.0 * counter[k] / total:.0f}%" if total else ""} for k in keys]


def _names_line(sid: str, unit: str, scenario: str) -> str:
    """Unit and scenario under the id, unless the id (usually `单位-场景`) already says them."""
    key = re.sub(r"\W", "", sid)
    parts = [p for p in (unit, scenario) if p and re.sub(r"\W", "", p) not in key]
    return " · ".join(parts)


def _rule_descriptions(rules: Rules) -> dict[str, str]:
    """Rule id → its catalogue description, when the validator offers one."""
    try:
        from ..validate import catalogue

        return {r["id"]: r.get("description") or "" for r in catalogue(rules)}
    except Exception:  # noqa: BLE001 - descriptions are a nicety; the index renders without them
        return {}


def build_index_view(data: dict[str, Any], rules: Rules, names: dict[str, str]) -> dict[str, Any]:
    subs = data.get("submissions") or []
    total = len(subs)
    status_counts = Counter(s.get("status") for s in subs)
    tracks: Counter = Counter()
    directions: Counter = Counter()
    rule_subs: dict[str, set[str]] = {}
    rule_count: Counter = Counter()
    rule_sev: dict[str, str] = {}
    rule_msgs: dict[str, Counter] = {}
    rows = []
    descriptions = _rule_descriptions(rules)
    for s in subs:
        sid = str(s.get("submission_id", ""))
        fields = s.get("fields") or {}
        tracks[_bucket(fields.get("track"))] += 1
        directions[_bucket(fields.get("direction"))] += 1
        standing = [f for f in s.get("findings") or [] if counts(f)]  # dismissed findings do not count
        tally = Counter(f.get("severity") for f in standing)
        rules_here = []
        messages = []
        for f in standing:
            messages.append(str(f.get("message") or ""))
            rule = f.get("rule") or "?"
            rule_count[rule] += 1
            rule_subs.setdefault(rule, set()).add(sid)
            rule_sev.setdefault(rule, f.get("severity") or "info")
            rule_msgs.setdefault(rule, Counter())[f.get("message") or ""] += 1
            if rule not in rules_here:
                rules_here.append(rule)
        status = s.get("status") if s.get("status") in STATUS_LABELS else "fail"
        track = _bucket(fields.get("track"))
        unit = display_value(fields.get("lead_unit_name")) or ""
        scenario = display_value(fields.get("scenario_name")) or ""
        direction = display_value(fields.get("direction")) or ""
        rows.append({
            "id": sid,
            "href": "reports/" + href_path(names[sid]),
            "status": status,
            "status_label": STATUS_LABELS[status],
            "status_rank": STATUS_ORDER[status],
            "track": track,
            "direction": direction,
            "direction_key": _bucket(fields.get("direction")),
            "names": _names_line(sid, unit, scenario),
            "errors": tally.get("error", 0),
            "reviews": tally.get("review", 0),
            "warnings": tally.get("warning", 0),
            "infos": tally.get("info", 0),
            "rules": [{"id": r, "name": rule_name(r)} for r in rules_here],
            "rule_ids": " ".join(rules_here),
            "search": " ".join([sid, unit, scenario, direction, track, *rules_here,
                                *map(rule_name, rules_here), *messages]).casefold(),
        })
    top_rules = sorted(rule_count, key=lambda r: (-len(rule_subs[r]), -rule_count[r], r))[:12]
    frequent = [{
        "rule": r,
        "name": rule_name(r),
        "severity": rule_sev[r] if rule_sev[r] in SEVERITY_LABELS else "info",
        "severity_label": SEVERITY_LABELS.get(rule_sev[r], rule_sev[r]),
        "description": descriptions.get(r) or rule_msgs[r].most_common(1)[0][0],
        "submissions": len(rule_subs[r]),
        "count": rule_count[r],
        "percent": 100.0 * len(rule_subs[r]) / len(rule_subs[top_rules[0]]),
    } for r in top_rules]
    track_order = list(rules.directions) + [MULTIPLE, NOT_CHOSEN]
    dir_order = [d for ds in rules.directions.values() for d in ds] + [MULTIPLE, NOT_CHOSEN]
    present_tracks = [t for t in track_order if tracks.get(t)] + sorted(t for t in tracks if t not in track_order)
    return {
        "total": total,
        "status_cards": [{"status": st, "label": STATUS_LABELS[st], "count": status_counts.get(st, 0),
                          "percent": 100.0 * status_counts.get(st, 0) / total if total else 0.0}
                         for st in STATUSES],
        "tracks": _bars(tracks, track_order, total),
        "directions": _bars(directions, dir_order, total),
        "frequent": frequent,
        "rows": rows,
        "track_options": present_tracks,
        "direction_options": [d for d in dir_order if directions.get(d)] + sorted(d for d in directions if d not in dir_order),
        "rule_options": [{"id": r, "name": rule_name(r)} for r in sorted(rule_subs, key=lambda r: (-len(rule_subs[r]), r))],
        "has_infos": any(r["infos"] for r in rows),
        "run": _run_view(data.get("run") or {}),
        "decisions": (data.get("run") or {}).get("decisions"),
        "shared": shared_view(data.get("run") or {}, rules,
                              lambda sid: "reports/" + href_path(names.get(sid) or provisional_report_file(sid))),
    }


def render_index_view(view: dict[str, Any], run: dict[str, Any] | None = None) -> str:
    """index.html from its view (`build_index_view`), showing `run` instead of the view's run if given."""
    if run is not None:
        view = {**view, "run": _run_view(run)}
    script = _static("index.js")
    return _ENV.get_template("index.html").render(
        v=view, css=Markup(_static("report.css")), script=Markup(script), csp=_csp(script))
