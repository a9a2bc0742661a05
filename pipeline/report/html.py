"""HTML reports: `index.html` for the batch and `reports/<id>.html` per submission.

Pages are self-contained (CSS and the small index script inline, images as data: URIs) so they
open from disk with no network; a Content-Security-Policy forbids every external load and every
script but our own. Only the results dict is read. Applicant text is escaped by jinja2's
autoescape; the few fragments built here (keyword marks, clause diffs) escape each piece with
markupsafe before joining.

A submission's page depends only on its results dict, the rules and this code (templates included):
it carries no run time. So a re-run into the same OUT takes an unchanged page from the previous run
(`PreviousReports`, a manifest of input and output hashes) instead of rendering it again.
"""

from __future__ import annotations

import base64
import difflib
import functools
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

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
    STATUS_ORDER,
    STATUSES,
    display_value,
)
from .reuse import pair_texts, shared_view

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


# ---------------------------------------------------------------- keyword highlighting


def _hit_list(value: Any) -> list[dict[str, Any]]:
    """Hits of one coverage entry: a list of hit dicts, or a dict holding them under `hits`."""
    if isinstance(value, dict):
        value = value.get("hits", [])
    return [h for h in value if isinstance(h, dict)] if isinstance(value, list) else []


def _covered(value: Any) -> bool:
    if isinstance(value, dict) and "covered" in value:
        return bool(value["covered"])
    if isinstance(value, dict):
        return bool(value.get("hits"))
    return bool(value)


def coverage_flags(sub: dict[str, Any], group: str) -> dict[str, bool] | None:
    """Name → covered, for one coverage group of a submission; None when the group was not computed."""
    coverage = sub.get("coverage")
    entries = coverage.get(group) if isinstance(coverage, dict) else None
    return {str(k): _covered(v) for k, v in entries.items()} if isinstance(entries, dict) else None


def _coverage_group(coverage: dict[str, Any], group: str, names: list[str], css_prefix: str) -> list[dict[str, Any]]:
    """One legend/summary entry per name (rules order, then extras from coverage)."""
    entries = coverage.get(group)
    known = isinstance(entries, dict)
    entries = entries if known else {}
    names = list(names) + [n for n in entries if n not in names]
    out = []
    for i, name in enumerate(names):
        value = entries.get(name)
        hits = _hit_list(value)
        terms = sorted({str(h.get("term")) for h in hits if h.get("term")})
        out.append({
            "name": name,
            "css": f"{css_prefix}{i % 8}",
            "known": known,
            "covered": _covered(value) if known else None,
            "count": len(hits),
            "terms": terms,
            "hits": hits,
        })
    return out


def _concat(parts: list[Markup]) -> Markup:
    """Join pieces that are each escaped already. (`Markup("").join` escapes every piece again: a
    no-op for Markup that made up most of `highlight`'s time.)"""
    return Markup("".join(parts))


@functools.lru_cache(maxsize=1024)
def _mark_open(css: str, title: str) -> Markup:
    """A <mark> start tag. The same few (css, title) pairs, from the coverage names, recur on every page."""
    return Markup(f'<mark class="{escape(css)}" title="{escape(title)}">')


_MARK_CLOSE = Markup("</mark>")


def highlight(text: str, spans: list[tuple[int, int, str, str]]) -> Markup:
    """`text` with <mark> around non-overlapping spans (start, end, css, title); all text escaped.

    Spans come from coverage offsets; one that does not fit the text is ignored, and where spans
    overlap the longer (then earlier) wins, so marks never nest.
    """
    chosen: list[tuple[int, int, str, str]] = []
    taken = bytearray(len(text))  # 1 where a chosen span covers the character
    for start, end, css, title in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not (0 <= start < end <= len(text)) or any(taken[start:end]):
            continue
        chosen.append((start, end, css, title))
        taken[start:end] = b"\1" * (end - start)
    out: list[Markup] = []
    pos = 0
    for start, end, css, title in sorted(chosen):
        out += (escape(text[pos:start]), _mark_open(css, title), escape(text[start:end]), _MARK_CLOSE)
        pos = end
    out.append(escape(text[pos:]))
    return _concat(out)


def _hits_by_section(groups: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[tuple[int, int, str, str, Any]]]:
    """Coverage hits with integer offsets, by section: (start, end, css, title, term), in group order."""
    out: dict[str, list[tuple[int, int, str, str, Any]]] = {}
    for kind, entries in groups:
        for e in entries:
            title = f"{kind}：{e['name']}"
            for h in e["hits"]:
                key, start, end = h.get("section"), h.get("start"), h.get("end")
                if isinstance(key, str) and isinstance(start, int) and isinstance(end, int):
                    out.setdefault(key, []).append((start, end, e["css"], title, h.get("term")))
    return out


def _section_spans(text: str, hits: list[tuple[int, int, str, str, Any]]) -> list[tuple[int, int, str, str]]:
    # Offsets that do not point at their term are left out: do not guess.
    return [(start, end, css, title) for start, end, css, title, term in hits if not term or text[start:end] == term]


# ---------------------------------------------------------------- letter clauses


def diff_markup(official: str, actual: str) -> Markup:
    """Character diff of a clause: text missing from the official wording in <del>, additions in <ins>."""
    sm = difflib.SequenceMatcher(None, official, actual, autojunk=False)
    out: list[Markup] = []
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            out.append(escape(official[a0:a1]))
            continue
        if op in ("delete", "replace"):
            out.append(Markup(f"<del>{escape(official[a0:a1])}</del>"))
        if op in ("insert", "replace"):
            out.append(Markup(f"<ins>{escape(actual[b0:b1])}</ins>"))
    return _concat(out)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def pair_clauses(official: list[str], actual: list[str]) -> list[dict[str, Any]]:
    """Each official clause with the applicant's version (same position when counts agree, else best match)."""
    rows: list[dict[str, Any]] = []
    if len(actual) == len(official):
        pairs = list(enumerate(range(len(actual))))
        extra: list[int] = []
    else:
        used: set[int] = set()
        pairs = []
        for i, off in enumerate(official):
            best = max((j for j in range(len(actual)) if j not in used), key=lambda j: _ratio(off, actual[j]), default=None)
            if best is not None and _ratio(off, actual[best]) >= 0.5:
                used.add(best)
                pairs.append((i, best))
            else:
                pairs.append((i, None))
        extra = [j for j in range(len(actual)) if j not in used]
    for i, j in pairs:
        off = official[i]
        if j is None:
            rows.append({"n": i + 1, "index": None, "status": "missing", "ratio": None,
                         "markup": Markup(f"<del>{escape(off)}</del>")})
            continue
        act = actual[j]
        same = act == off
        rows.append({"n": i + 1, "index": j, "status": "same" if same else "changed",
                     "ratio": f"{(1.0 if same else _ratio(off, act)) * 100:.0f}%",
                     "markup": escape(off) if same else diff_markup(off, act)})
    for j in extra:
        rows.append({"n": None, "index": j, "status": "extra", "ratio": None,
                     "markup": Markup(f"<ins>{escape(actual[j])}</ins>")})
    return rows


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


# ---------------------------------------------------------------- the batch index


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


# ---------------------------------------------------------------- writing


@functools.cache
def _report_page_args() -> dict[str, Any]:
    """What every report page shares, made once per process."""
    return {"css": Markup(_static("report.css")), "csp": _csp(None), "index_href": "../index.html"}


def render_report(sub: dict[str, Any], rules: Rules, run: dict[str, Any]) -> str:
    view = build_report_view(sub, rules, run)
    return _ENV.get_template("report.html").render(s=view, **_report_page_args())


def render_index_view(view: dict[str, Any], run: dict[str, Any] | None = None) -> str:
    """index.html from its view (`build_index_view`), showing `run` instead of the view's run if given."""
    if run is not None:
        view = {**view, "run": _run_view(run)}
    script = _static("index.js")
    return _ENV.get_template("index.html").render(
        v=view, css=Markup(_static("report.css")), script=Markup(script), csp=_csp(script))


@functools.cache
def report_code() -> str:
    """The pipeline's code fingerprint plus the templates and static files pages are made from."""
    from ..cache import code_fingerprint

    h = hashlib.sha256(code_fingerprint().encode())
    root = resources.files("pipeline.report")
    for folder in ("templates", "static"):
        for entry in sorted((root / folder).iterdir(), key=lambda e: e.name):
            if entry.is_file():
                h.update(f"{folder}/{entry.name}\0".encode() + entry.read_bytes() + b"\0")
    return h.hexdigest()


def report_digest(sub: dict[str, Any], rules: Rules, run: dict[str, Any], name: str) -> str:
    """A hash of everything a submission's page is rendered from."""
    data = json.dumps([report_code(), rules.sha256, name, _report_run_view(run), sub],
                      ensure_ascii=False, sort_keys=True, default=repr)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PublishedPage:
    """A page already on disk whose sha256 is known: one the previous run published and nobody has
    changed since (same size, mtime and inode as the manifest recorded, like git's index), which is
    linked into the new reports folder rather than read and written again; or one an output process
    wrote in place."""

    path: Path
    sha256: str


# A page as the outputs hold it: rendered bytes, or a published page to take over unchanged.
PageBody = bytes | PublishedPage


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class PreviousReports:
    """The pages a previous run published into `folder`, and the manifest of what they were made from.

    A page is taken over only when its input digest matches and the file still has the bytes the
    manifest recorded: checked by size, mtime and inode where those are unchanged (the page is then
    hard-linked), else by reading and hashing it; anything else (no manifest, another folder, an
    edited file) is rendered anew.
    """

    def __init__(self, folder: Path, manifest: Path):
        self.folder, self.manifest = folder, manifest
        try:
            data = json.loads(manifest.read_text("utf-8"))
            ok = isinstance(data, dict) and data.get("folder") == str(folder) and isinstance(data.get("reports"), dict)
            self.entries: dict[str, list[Any]] = data["reports"] if ok else {}
        except (OSError, ValueError):
            self.entries = {}
        self.current: dict[str, list[Any]] = {}
        self.reused = 0

    def take(self, name: str, digest: str) -> PageBody | None:
        entry = self.entries.get(name)
        if not isinstance(entry, list) or len(entry) < 2 or entry[0] != digest:
            return None
        path = self.folder / name
        try:
            if len(entry) == 3 and entry[2] == _stat_key(path):
                self.reused += 1
                return PublishedPage(path, entry[1])
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != entry[1]:
            return None
        self.reused += 1
        return data

    def record(self, name: str, digest: str, written: Path, page: PageBody) -> None:
        """`page` was written to `written` (in its final folder, or in a staging folder published by
        rename, which keeps size, mtime and inode)."""
        sha = page.sha256 if isinstance(page, PublishedPage) else hashlib.sha256(page).hexdigest()
        try:
            self.current[name] = [digest, sha, _stat_key(written)]
        except OSError:
            self.current[name] = [digest, sha]

    def save(self) -> None:
        """Called once the new pages are in `folder`."""
        from . import atomic_write_bytes

        data = {"folder": str(self.folder), "reports": self.current}
        try:
            atomic_write_bytes(self.manifest, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        except OSError:
            pass


def page_ahead(sub: dict[str, Any], rules: Rules, run: dict[str, Any],
               previous: PreviousReports | None = None) -> tuple[str, PageBody | None]:
    """A submission's page made before the batch is complete, under the name it gets when no other id
    collides with it: (digest, page). `write_html` uses it if the digest still holds at the end
    (batch-level findings or a renamed page change it, and the page is then made again). A page the
    previous run made from other inputs is left for the end (None): on a re-run the difference is
    usually a batch-level finding, which makes the final digest match the previous page again."""
    name = provisional_report_file(str(sub.get("submission_id", "")))
    digest = report_digest(sub, rules, run, name)
    if previous is not None:
        page = previous.take(name, digest)
        if page is not None or name in previous.entries:
            return digest, page
    return digest, render_report(sub, rules, run).encode("utf-8")


@dataclass
class PagePlan:
    """One submission's page: where it goes, the digest of what it is made from (when needed), and
    the page itself once it is known (taken over, made ahead, or rendered)."""

    sid: str
    name: str
    sub: dict[str, Any]
    digest: str = ""
    page: PageBody | None = None


def plan_pages(data: dict[str, Any], rules: Rules, previous: PreviousReports | None = None,
               ahead: dict[str, tuple[str, PageBody]] | None = None,
               digests: dict[str, str | None] | None = None) -> list[PagePlan]:
    """Every submission's page, taken from `ahead` (pages made while files were read: submission id →
    (digest, page)) or `previous` where the digest still holds; `page` is None where it must be
    rendered. The digest is computed only where something is compared or recorded with it."""
    subs = data.get("submissions") or []
    names = report_files(subs)
    run = data.get("run") or {}
    plans = []
    for s in subs:
        sid = str(s.get("submission_id", ""))
        plan = PagePlan(sid, names[sid], s)
        made = (ahead or {}).get(sid)
        if previous is not None or made is not None:
            plan.digest = (digests or {}).get(sid) or report_digest(s, rules, run, plan.name)
        if made is not None and made[0] == plan.digest:
            plan.page = made[1]
        elif previous is not None:
            plan.page = previous.take(plan.name, plan.digest)
        plans.append(plan)
    return plans


def render_plans(plans: list[PagePlan], rules: Rules, run: dict[str, Any]) -> None:
    for plan in plans:
        if plan.page is None:
            plan.page = render_report(plan.sub, rules, run).encode("utf-8")


def write_pages(plans: list[PagePlan], data: dict[str, Any], out_dir: Path, rules: Rules,
                previous: PreviousReports | None = None, staged: bool = False,
                index_view: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write reports/<page> for every (rendered) plan and index.html (from `index_view` when the
    caller already made it). `staged`: `out_dir` is a private staging folder published as a whole,
    so pages are written directly rather than each through a temp file and a rename, and a page
    taken over from the previous run is hard-linked."""
    from . import atomic_write_bytes

    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        assert plan.page is not None
        dest = reports / plan.name
        if isinstance(plan.page, PublishedPage) and plan.page.path != dest:
            if not (staged and _link(plan.page.path, dest)):
                try:
                    body = plan.page.path.read_bytes()
                except OSError:
                    body = b""
                if hashlib.sha256(body).hexdigest() != plan.page.sha256:  # gone or changed since it was checked
                    body = render_report(plan.sub, rules, data.get("run") or {}).encode("utf-8")
                plan.page = body
        if isinstance(plan.page, bytes):
            if staged:
                dest.write_bytes(plan.page)
            else:
                atomic_write_bytes(dest, plan.page)
        if previous is not None:
            previous.record(plan.name, plan.digest, dest, plan.page)
    index = out_dir / "index.html"
    if index_view is None:
        index_view = build_index_view(data, rules, {p.sid: p.name for p in plans})
    atomic_write_bytes(index, render_index_view(index_view).encode("utf-8"))
    return {"index": index, "reports": reports}


def _link(src: Path, dest: Path) -> bool:
    """Hard-link a published page into the staging folder (same file system: both are inside OUT)."""
    try:
        dest.unlink(missing_ok=True)
        dest.hardlink_to(src)
        return True
    except OSError:  # no hard links here (some network or FAT file systems)
        return False


def write_html(data: dict[str, Any], out_dir: Path, rules: Rules, previous: PreviousReports | None = None,
               ahead: dict[str, tuple[str, PageBody]] | None = None, staged: bool = False) -> dict[str, Path]:
    """Write reports/<id>.html for each submission and index.html for the batch, all in this process."""
    plans = plan_pages(data, rules, previous, ahead)
    render_plans(plans, rules, data.get("run") or {})
    return write_pages(plans, data, out_dir, rules, previous, staged)
