"""HTML report pages, `reports/<id>.html` per submission, and what every page shares.

Pages are self-contained (CSS and the small index script inline, images as data: URIs) so they
open from disk with no network; a Content-Security-Policy forbids every external load and every
script but our own. Only the results dict is read. Applicant text is escaped by jinja2's
autoescape; the few fragments built here (keyword marks, clause diffs) escape each piece with
markupsafe before joining.

A submission's page depends only on its results dict, the rules and this code (templates included):
it carries no run time (`report.pages` decides which pages must be rendered). index.html is made
by `report.index`; keyword marks and clause diffs by `report.markup`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..config import Rules
from ..decisions import ACTION_LABELS, counts
from ..labels import (
    FIELD_LABELS,
    JOINT_UNIT_LABELS,
    LETTER_LABELS,
    PERSON_BLOCKS,
    PERSON_FIELDS,
    field_label,
    field_path,
    rule_name,
    section_labels,
)
from ..safety import sanitize_name, unique_name
from .labels import (
    FILE_KIND_LABELS,
    ORIGIN_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    STATUS_LABELS,
    display_value,
)
from .markup import _coverage_group, _hits_by_section, _section_spans, highlight, pair_clauses
from .reuse import pair_texts

BEIJING = timezone(timedelta(hours=8), "北京时间")
MAX_EXCERPT = 400
MAX_IMAGES = 8
MAX_IMAGE_B64 = 2_000_000
_B64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# The rule of a part the checker could not read (SPEC §4); its findings are listed under 提取说明 too.
UNREAD_RULE = "EXTRACTION_INCOMPLETE"
UNREAD_BLANK = "未能读取"
NOT_CHOSEN = "未选择"
MULTIPLE = "多选"

# Templates are package files: load each once per process (no per-render up-to-date checks).
_ENV = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


@functools.cache
def _static(name: str) -> str:
    return (resources.files("pipeline.report") / "static" / name).read_text("utf-8")


def _csp(script: str | None) -> str:
    """Nothing may load from anywhere; the only script allowed is ours, pinned by its hash."""
    if script:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        script_src = f"'sha256-{digest}'"
    else:
        script_src = "'none'"
    return (f"default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; script-src {script_src}; "
            "base-uri 'none'; form-action 'none'")


def report_files(submissions: list[dict[str, Any]]) -> dict[str, str]:
    """Submission id → report file name (sanitised, unique ignoring case, stable for sorted ids)."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for sid in sorted(str(s.get("submission_id", "")) for s in submissions):
        names[sid] = unique_name(sanitize_name(sid), taken) + ".html"
    return names


def provisional_report_file(sid: str) -> str:
    """The name `report_files` gives `sid` unless another id in the batch takes it first."""
    return sanitize_name(sid) + ".html"


def href_path(name: str) -> str:
    """A file name as a relative URL: ASCII specials percent-encoded, CJK kept readable."""
    return "".join(c if ord(c) > 127 else quote(c, safe="-_.~()!$&'*+,;=@") for c in name)


@functools.lru_cache(maxsize=4096, typed=True)  # the same few dozen ids on every page
def anchor_id(*parts: str | int) -> str:
    return "f-" + "-".join(_ANCHOR_UNSAFE.sub("-", str(p)) for p in parts)


def beijing_time(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        dt = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if dt.tzinfo is not None:
        dt = dt.astimezone(BEIJING)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def describe_prov(prov: Any) -> str:
    """Provenance dict → `文件 · 第2页 表1 第3行第2列`, tolerant of missing or odd keys."""
    if not isinstance(prov, dict):
        return ""
    parts: list[str] = []
    if isinstance(prov.get("page"), int):
        parts.append(f"第{prov['page']}页")
    if isinstance(prov.get("table"), int):
        parts.append(f"表{prov['table'] + 1}")
    if isinstance(prov.get("row"), int) and isinstance(prov.get("col"), int):
        parts.append(f"第{prov['row'] + 1}行第{prov['col'] + 1}列")
    elif isinstance(prov.get("paragraph"), int):
        parts.append(f"第{prov['paragraph'] + 1}段")
    where = " ".join(parts)
    file = prov.get("file")
    file = str(file) if file else ""
    return f"{file} · {where}" if file and where else file or where


def _ocr_info(prov: Any) -> dict[str, Any] | None:
    if not isinstance(prov, dict) or not prov.get("ocr"):
        return None
    conf = prov.get("confidence")
    return {"confidence": f"{conf:.2f}" if isinstance(conf, (int, float)) else None}


def _clip(text: Any, limit: int = MAX_EXCERPT) -> str | None:
    if text in (None, ""):
        return None
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- one submission


class _Page:
    """Collects the anchors a report page renders, so finding links only point at real places."""

    ALIASES = {"track": "direction"}  # shown in the same place on the page

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def add(self, *parts: str | int) -> str:
        aid = anchor_id(*parts)
        self.ids.add(aid)
        return aid

    def target(self, field: str | None) -> str | None:
        path = field_path(field or "")
        if path and path[0] in ("sections", "section_lengths") and len(path) > 1:
            path = path[1:]
        if path and path[0] in self.ALIASES:
            path = [self.ALIASES[path[0]], *path[1:]]
        for n in range(len(path), 0, -1):
            aid = anchor_id(*path[:n])
            if aid in self.ids:
                return aid
        return None


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def build_report_view(sub: dict[str, Any], rules: Rules, run: dict[str, Any]) -> dict[str, Any]:
    """Everything the report template shows, as plain values; applicant text stays unescaped here."""
    fields = sub.get("fields") or {}
    prov = sub.get("provenance") or {}
    page = _Page()
    sec_labels = section_labels(rules)
    unseen = _unseen_fields(sub)

    def value_view(key: str, value: Any, *anchor: str | int) -> dict[str, Any]:
        p = prov.get(key)
        return {
            "id": page.add(*(anchor or (key,))),
            "key": key,
            "label": field_label(key, rules),
            "text": display_value(value),
            "ocr": _ocr_info(p),
            "where": describe_prov(p),
            "badges": [],
            "blank": UNREAD_BLANK if key in unseen else "未填写",
            "unread": key in unseen,
        }

    basic = {k: value_view(k, fields.get(k)) for k in FIELD_LABELS if k not in
             ("joint_units", "sections", "section_lengths", "letter_clauses", "direction", "track", "unit_nature")}
    chosen_dirs = _list(fields.get("direction"))
    known_dirs = {d for ds in rules.directions.values() for d in ds}
    direction = value_view("direction", fields.get("direction"))
    direction["tracks"] = [
        {"track": track, "options": [{"label": d, "checked": d in chosen_dirs,
                                      "unsure": "direction" in unseen and d not in chosen_dirs} for d in ds],
         "active": track in _list(fields.get("track"))}
        for track, ds in rules.directions.items()
    ]
    direction["unknown"] = [d for d in chosen_dirs if d not in known_dirs]
    direction["track_text"] = display_value(fields.get("track"))
    basic["direction"] = direction
    natures = _list(fields.get("unit_nature"))
    nature = value_view("unit_nature", fields.get("unit_nature"))
    # A group the checker could not read: its boxes not seen ticked are unsure, never drawn as unticked.
    nature["options"] = [{"label": n, "checked": n in natures, "unsure": "unit_nature" in unseen and n not in natures}
                         for n in rules.unit_natures]
    nature["unknown"] = [n for n in natures if n not in rules.unit_natures]
    basic["unit_nature"] = nature

    for prefix, _label in PERSON_BLOCKS:
        for sub_key, short in PERSON_FIELDS.items():
            basic[f"{prefix}_{sub_key}"]["short"] = short
    persons = [{"label": label, "rows": [[basic[f"{prefix}_{a}"], basic[f"{prefix}_{b}"]]
                                         for a, b in (("name", "phone"), ("title", "mobile"), ("fax", "email"))]}
               for prefix, label in PERSON_BLOCKS]

    joint_units = []
    page.add("joint_units")
    for i, unit in enumerate(fields.get("joint_units") or []):
        unit = unit if isinstance(unit, dict) else {}
        page.add("joint_units", i)
        joint_units.append({"n": i + 1, "id": anchor_id("joint_units", i), "cells": [
            {"id": page.add("joint_units", i, k), "text": display_value(unit.get(k)), "badges": [], "label": lbl,
             "ocr": _ocr_info(prov.get(f"joint_units[{i}].{k}") or prov.get("joint_units")),
             "where": describe_prov(prov.get(f"joint_units[{i}].{k}") or prov.get(f"joint_units[{i}]")),
             "blank": "未填写"}
            for k, lbl in JOINT_UNIT_LABELS.items()
        ]})

    # Narrative sections with coverage marks.
    coverage = sub.get("coverage") if isinstance(sub.get("coverage"), dict) else {}
    cov_rules = rules.raw.get("coverage", {})
    elements = _coverage_group(coverage, "tech_elements", list(cov_rules.get("tech_elements", {})), "el")
    topics = _coverage_group(coverage, "overview_topics", list(cov_rules.get("overview_topics", {})), "tp")
    key_tech = _coverage_group(coverage, "key_technologies", list(cov_rules.get("key_technologies", {})), "kt")
    texts = fields.get("sections") if isinstance(fields.get("sections"), dict) else {}
    lengths = fields.get("section_lengths") if isinstance(fields.get("section_lengths"), dict) else {}
    hits = _hits_by_section([("技术要素", elements), ("建设概述要点", topics)])
    unread_sections = [sec_labels[spec.key] for spec in rules.sections if spec.key in unseen or "sections" in unseen]
    if unread_sections:  # what is not mentioned may be in the part not read: not judged, not "missing"
        for e in elements + topics:
            if e["covered"] is False:
                e["covered"] = None
    sections = []
    for spec in rules.sections:
        text = texts.get(spec.key)
        text = text if isinstance(text, str) else ""
        count = lengths.get(spec.key)
        count = count if isinstance(count, int) else None
        spans = _section_spans(text, hits.get(spec.key, []))
        sprov = prov.get(spec.key) or prov.get(f"sections.{spec.key}")
        sections.append({
            "key": spec.key,
            "id": page.add(spec.key),
            "label": sec_labels[spec.key],
            "limit": spec.limit,
            "count": count,
            "over": count is not None and count > spec.limit,
            "excess": (count - spec.limit) if count is not None and count > spec.limit else 0,
            "percent": min(100.0, 100.0 * count / spec.limit) if count is not None and spec.limit else 0.0,
            "html": highlight(text, spans) if text else None,
            "marks": len(spans),
            "ocr": _ocr_info(sprov),
            "where": describe_prov(sprov),
            "badges": [],
            "unread": spec.key in unseen or "sections" in unseen,
        })
    track_scores = coverage.get("track_scores")
    scores = []
    if isinstance(track_scores, dict):
        nums = {str(k): v for k, v in track_scores.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        top = max(nums.values(), default=0) or 1
        scores = [{"track": k, "value": v, "percent": 100.0 * v / top} for k, v in nums.items()]

    # Letter.
    official = [str(c) for c in rules.raw.get("letter", {}).get("clauses", [])]
    actual = [str(c) for c in (fields.get("letter_clauses") or []) if c is not None]
    clauses = pair_clauses(official, actual) if actual else []
    page.add("letter_clauses")
    for row in clauses:
        row["id"] = page.add("letter_clauses", row["index"]) if row["index"] is not None else None
        row["badges"] = []
        if row["n"] is not None and f"letter_clauses[{row['n'] - 1}]" in unseen:
            row["status"] = "unread"  # a scan that does not show it clearly: neither kept nor changed
    letter_keys = ("letter_scenario_name", "letter_contact", "letter_contact_phone", "letter_date", "letter_has_seal")
    kinds = {f.get("kind") for f in sub.get("files") or [] if isinstance(f, dict)}
    has_letter = bool(kinds & {"letter", "both"}) or any(fields.get(k) not in (None, "") for k in letter_keys) or bool(actual)
    form_keys = [k for k in basic if k not in letter_keys]
    has_form = bool(kinds & {"form", "both"}) or any(fields.get(k) not in (None, "", []) for k in form_keys)
    for k in basic:  # with no document to read, a blank is "not found", not "left empty by the applicant"
        if not (has_letter if k in letter_keys else has_form):
            basic[k]["blank"] = "未识别"
    for k in letter_keys:
        basic[k]["short"] = LETTER_LABELS[k]
    letter = {k: basic[k] for k in letter_keys}
    letter_files = {f.get("path") for f in sub.get("files") or [] if f.get("kind") in ("letter", "both")}
    images = []
    for img in sub.get("images") or []:
        if not isinstance(img, dict):
            continue
        src = image_src(img)
        if src is None:
            continue
        iprov = img.get("prov") if isinstance(img.get("prov"), dict) else {}
        if not (img.get("looks_like_seal") or img.get("near_seal_label") or iprov.get("file") in letter_files):
            continue
        ratio = img.get("red_ratio")
        images.append({
            "src": src,
            "seal": bool(img.get("looks_like_seal")),
            "where": describe_prov(iprov),
            "red": f"{ratio * 100:.0f}%" if isinstance(ratio, (int, float)) else None,
            "size": f"{img.get('width')}×{img.get('height')}" if img.get("width") and img.get("height") else None,
        })
    images.sort(key=lambda i: not i["seal"])

    # Files.
    files = []
    page.add("files")
    for i, f in enumerate(sub.get("files") or []):
        size = f.get("size")
        files.append({
            "id": page.add("file", i),
            "path": f.get("path"),
            "kind": FILE_KIND_LABELS.get(f.get("kind"), f.get("kind") or ""),
            "format": _file_format(f),
            "pages": f.get("pages"),
            "ocr": bool(f.get("ocr")),
            "size": _human_size(size) if isinstance(size, int) else None,
            "sha256": f.get("sha256"),
            "badges": [],
        })
    file_ids = {f["path"]: f["id"] for f in files}

    # Findings, linked both ways with the places they concern.
    badge_targets: dict[str, list[dict[str, Any]]] = {}
    for grp in (basic.values(), [c for u in joint_units for c in u["cells"]], sections, clauses, files):
        for item in grp:
            if item.get("id"):
                badge_targets[item["id"]] = item["badges"]
    groups = {sev: [] for sev in SEVERITIES}
    findings = [f for f in sub.get("findings") or [] if isinstance(f, dict)]
    for n, f in enumerate(findings):
        ev = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
        target = page.target(f.get("field"))
        if target is None and ev.get("file") in file_ids:
            target = file_ids[ev["file"]]
        sev = f.get("severity") if f.get("severity") in groups else "info"
        fid = f"finding-{n + 1}"
        entry = {
            "id": fid,
            "rule": f.get("rule") or "",
            "rule_name": rule_name(f.get("rule") or ""),
            "severity": sev,
            "field": f.get("field"),
            "field_label": field_label(f.get("field"), rules),
            "message": f.get("message") or "",
            "file": ev.get("file"),
            "page": ev.get("page"),
            "location": ev.get("location"),
            "excerpt": None if _redundant(ev.get("excerpt"), f.get("message")) else _clip(ev.get("excerpt")),
            "target": target,
            "decision": _decision_view(f),
            **_quoted_texts(f),
            "pairs": pair_texts(f, lambda other: href_path(provisional_report_file(other))),
        }
        groups[sev].append(entry)
        if not counts(f):  # dismissed: listed struck through, no badge on the field
            continue
        badge = {"href": fid, "severity": sev, "rule": entry["rule"], "message": entry["message"]}
        if target in badge_targets:
            badge_targets[target].append(badge)
        if entry["rule"] == UNREAD_RULE:  # each place it could not read carries the badge too
            for place in {page.target(k) for k in _details_fields(f)} - {target, None}:
                if place in badge_targets:
                    badge_targets[place].append(badge)
    tally = {sev: sum(1 for e in groups[sev] if not (e["decision"] and e["decision"]["dismissed"]))
             for sev in SEVERITIES}
    notes = [{"message": nt.get("message") or "", "where": describe_prov(nt.get("prov"))}
             for nt in sub.get("notes") or [] if isinstance(nt, dict)]
    # What the checker could not read is listed again under 提取说明, linked to its finding.
    unread = [e for sev in SEVERITIES for e in groups[sev] if e["rule"] == UNREAD_RULE]

    status = sub.get("status") if sub.get("status") in STATUS_LABELS else "fail"
    return {
        "id": sub.get("submission_id", ""),
        "origin": ORIGIN_LABELS.get(sub.get("origin"), sub.get("origin") or ""),
        "grouping": sub.get("grouping") or "",
        "status": status,
        "status_label": STATUS_LABELS[status],
        "counts": tally,
        "findings": [{"severity": sev, "label": SEVERITY_LABELS[sev], "entries": groups[sev]} for sev in SEVERITIES if groups[sev]],
        "basic": basic,
        "persons": persons,
        "joint_units": joint_units,
        "joint_unit_labels": list(JOINT_UNIT_LABELS.values()),
        "joint_units_label": FIELD_LABELS["joint_units"],
        "sections": sections,
        "elements": elements,
        "topics": topics,
        "key_tech": key_tech,
        "coverage_known": any(e["known"] for e in elements + topics + key_tech),
        "track_scores": scores,
        "letter": letter,
        "has_letter": has_letter,
        "has_form": has_form,
        "clauses": clauses,
        "official_count": len(official),
        "images": images[:MAX_IMAGES],
        "files": files,
        "notes": notes,
        "unread": unread,
        "unread_sections": unread_sections,
        "scenario_name": display_value(fields.get("scenario_name")),
        "lead_unit_name": display_value(fields.get("lead_unit_name")),
        "track": display_value(fields.get("track")),
        "direction_text": display_value(fields.get("direction")),
        "run": _report_run_view(run),
    }


def _decision_view(finding: dict[str, Any]) -> dict[str, Any] | None:
    """A reviewer's decision on a finding (pipeline/decisions.py), as the page shows it."""
    d = finding.get("decision")
    if not isinstance(d, dict) or d.get("action") not in ACTION_LABELS:
        return None
    return {"dismissed": d["action"] == "dismiss", "label": "已" + ACTION_LABELS[d["action"]],
            "note": d.get("note") or "", "by": d.get("by") or "", "source": d.get("source") or ""}


def _details_fields(finding: dict[str, Any]) -> list[str]:
    details = finding.get("details") if isinstance(finding.get("details"), dict) else {}
    keys = details.get("fields") if isinstance(details.get("fields"), list) else []
    return [k for k in keys if isinstance(k, str)]


def _unseen_fields(sub: dict[str, Any]) -> set[str]:
    """Field keys the checker could not read (its EXTRACTION_INCOMPLETE findings name them): shown as
    未能读取, never as left blank by the applicant."""
    out: set[str] = set()
    for f in sub.get("findings") or []:
        if isinstance(f, dict) and f.get("rule") == UNREAD_RULE:
            out.update(_details_fields(f))
            if isinstance(f.get("field"), str):
                out.add(f["field"])
    return out


def _quoted_texts(f: dict[str, Any]) -> dict[str, Any]:
    """A clause finding quotes two texts: label the applicant's (as read) and the notice's apart."""
    details = f.get("details") if isinstance(f.get("details"), dict) else {}
    if f.get("rule") != "LETTER_CLAUSES_ALTERED" or not isinstance(details.get("official"), str):
        return {"excerpt_label": None, "official": None, "official_label": None}
    return {"excerpt_label": "承诺书中的文字", "official": _clip(details["official"]), "official_label": "通知原文"}


_ASSET_PATH = re.compile(r"reports/(assets/[0-9a-f]{16,64}\.png)")


def image_src(img: dict[str, Any]) -> str | None:
    """An image's src on a report page: its file under reports/assets (results.json `crop_path`),
    or the base64 crop an older results.json inlined."""
    path = img.get("crop_path")
    if isinstance(path, str):
        m = _ASSET_PATH.fullmatch(path)
        return m.group(1) if m else None
    b64 = img.get("crop_png_b64")
    if not isinstance(b64, str) or not b64 or len(b64) > MAX_IMAGE_B64 or not _B64.fullmatch(b64):
        return None
    return "data:image/png;base64," + "".join(b64.split())  # split() drops what \s matches, 25x faster than re.sub


def _redundant(excerpt: Any, message: Any) -> bool:
    """An excerpt the message already quotes in full adds nothing on the page."""
    return not excerpt or (isinstance(message, str) and str(excerpt).strip() in message)


def _file_format(f: dict[str, Any]) -> str:
    """The format by content, and the name's extension beside it when that says another."""
    fmt, ext = (f.get("format") or "").upper(), (f.get("extension") or "").upper()
    return f"{fmt}（扩展名 .{ext.lower()}）" if ext and fmt and ext != fmt else fmt


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024**2:.1f} MB"


def _run_view(run: dict[str, Any]) -> dict[str, Any]:
    return {
        **_report_run_view(run),
        "started": beijing_time(run.get("started")),
        "seconds": run.get("seconds"),
        "files": run.get("files"),
    }


def _report_run_view(run: dict[str, Any]) -> dict[str, Any]:
    """What a submission's page shows of the run: versions, not the run's time (index.html has that)."""
    sha = run.get("rules_sha256") or ""
    return {
        "version": run.get("version"),
        "rules_version": run.get("rules_version"),
        "rules_sha": sha,
        "rules_sha_short": sha[:12],
        "started": None,
        "seconds": None,
        "files": None,
    }


# ---------------------------------------------------------------- writing


@functools.cache
def _report_page_args() -> dict[str, Any]:
    """What every report page shares, made once per process."""
    return {"css": Markup(_static("report.css")), "csp": _csp(None), "index_href": "../index.html"}


def render_report(sub: dict[str, Any], rules: Rules, run: dict[str, Any]) -> str:
    view = build_report_view(sub, rules, run)
    return _ENV.get_template("report.html").render(s=view, **_report_page_args())
