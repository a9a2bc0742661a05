"""expected.json: what a correct checker extracts from each sample and which rules it raises."""

from __future__ import annotations

import json
import re

from . import rules
from .model import FormData, LetterData, Submission
from .narrative import count_zi, section_text

GENERATED_BY = "samples/make_samples.py"
PERSON_KEYS = ("name", "phone", "title", "mobile", "fax", "email")


def normalise_code(code: str | None) -> str | None:
    if code is None:
        return None
    return re.sub(r"[\s\-－]", "", code).upper() or None


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _one_or_list(values: list[str]):
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def form_fields(form: FormData) -> dict:
    order = [d for items in rules.directions_by_track().values() for d in items]
    directions = sorted(form.directions, key=order.index)
    tracks: list[str] = []
    for direction in directions:
        track = rules.track_of(direction)
        if track not in tracks:
            tracks.append(track)
    natures = sorted(form.unit_natures, key=rules.unit_natures().index)
    fields: dict = {
        "lead_unit_name": _blank(form.lead_unit_name),
        "lead_unit_code": normalise_code(form.lead_unit_code),
        "scenario_name": _blank(form.scenario_name),
        "direction": _one_or_list(directions),
        "track": _one_or_list(tracks),
        "address": _blank(form.address),
    }
    for role, person in (("leader", form.leader), ("contact", form.contact)):
        for key in PERSON_KEYS:
            fields[f"{role}_{key}"] = _blank(getattr(person, key))
    fields["unit_nature"] = _one_or_list(natures)
    fields["unit_nature_other"] = _blank(form.unit_nature_other)
    fields["joint_units"] = [
        {
            "name": _blank(u.name),
            "nature": _blank(u.nature),
            "strengths": _blank(u.strengths),
            "code": normalise_code(u.code),
        }
        for u in form.joint_units
    ]
    sections = {sec.key: section_text(form.sections.get(sec.key, [])) for sec in rules.sections()}
    fields["sections"] = sections
    fields["section_lengths"] = {key: count_zi(text) for key, text in sections.items()}
    return fields


def letter_fields(letter: LetterData) -> dict:
    return {
        "letter_scenario_name": letter.scenario_name.strip().strip("《》").strip(),
        "letter_clauses": list(letter.clauses),
        "letter_contact": _blank(letter.contact),
        "letter_contact_phone": _blank(letter.contact_phone),
        "letter_date": letter.date_iso,
        "letter_has_seal": letter.seal is not None,
    }


def submission_entry(sub: Submission) -> dict:
    kinds = {f.kind for f in sub.files if f.listed}
    fields: dict = {}
    if sub.form is not None and kinds & {"form", "both"}:
        fields.update(form_fields(sub.form))
    if sub.letter is not None and kinds & {"letter", "both"}:
        fields.update(letter_fields(sub.letter))
    files = sorted(
        ({"path": f.path, "kind": f.kind, "format": f.format} for f in sub.files if f.listed),
        key=lambda f: f["path"],
    )
    return {
        "description": sub.description,
        "files": files,
        "fields": fields,
        "rules": sorted(set(sub.rules)),
    }


def expected_document(subs: list[Submission]) -> dict:
    return {
        "generated_by": GENERATED_BY,
        "submissions": {sub.id: submission_entry(sub) for sub in sorted(subs, key=lambda s: s.id)},
    }


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
