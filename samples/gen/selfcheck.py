"""A small reference reading of the rules, used to prove each sample shows exactly its planted rules.

It works on the generator's own data (not on files) and reads limits, patterns and keyword lists from
the rules file, so an accidental defect (a narrative that misses an element, a sentence that drifts to
another track's vocabulary, two narratives that look alike) stops the generator instead of silently
changing what the samples mean.
"""

from __future__ import annotations

import difflib
import re
from datetime import date

from . import rules
from .codes import is_valid_org_code, is_valid_uscc
from .expected import form_fields, letter_fields, normalise_code
from .model import Submission
from .narrative import normalise_width

FILE_RULES = {
    "readme_txt": "FILE_UNSUPPORTED",
    "encrypted_pdf": "FILE_ENCRYPTED",
    "encrypted_docx": "FILE_ENCRYPTED",
    "truncated_docx": "FILE_UNREADABLE",
    "fake_pdf": "FILE_UNREADABLE",
}


def _valid_code(code: str | None) -> bool:
    return bool(code) and (is_valid_uscc(code) or is_valid_org_code(code))


def track_hits(text: str) -> dict[str, tuple[int, int]]:
    """(occurrences, distinct terms) of each track's vocabulary in `text`."""
    vocab = rules.rules()["coverage"]["track_vocabulary"]
    return {
        track: (sum(text.count(t) for t in terms), sum(1 for t in terms if t in text))
        for track, terms in vocab.items()
    }


def narrative(fields: dict) -> str:
    keys = rules.rules()["coverage"]["narrative_sections"]
    return "\n".join(fields["sections"][k] for k in keys)


def _form_rules(f: dict) -> set[str]:
    r = rules.rules()
    found: set[str] = set()
    for key in r["fields"]["required"]:
        if not f.get(key):
            found.add("FIELD_MISSING")
    for group in r["fields"]["required_any"]:
        if not any(f.get(k) for k in group):
            found.add("FIELD_MISSING")
    lead = f["lead_unit_code"]
    codes = [lead] + [u["code"] for u in f["joint_units"] if u["code"]]
    if any(not _valid_code(c) for c in codes if c):
        found.add("CODE_INVALID")
    if lead and is_valid_uscc(lead):
        if not lead[2:8].startswith(r["codes"]["lead_division_prefix"]):
            found.add("CODE_NOT_SHANGHAI")
        natures = f["unit_nature"] if isinstance(f["unit_nature"], list) else [f["unit_nature"]]
        prefixes = r["unit_natures"]["code_prefixes"]
        allowed = prefixes.get(lead[:2], prefixes.get(lead[:1]))
        if allowed is not None and f["unit_nature"] and any(n not in allowed for n in natures):
            found.add("UNIT_NATURE_CODE_MISMATCH")
    if f["direction"] is None:
        found.add("DIRECTION_NONE")
    elif isinstance(f["direction"], list):
        found.add("DIRECTION_MULTIPLE")
    if f["unit_nature"] is None:
        found.add("UNIT_NATURE_NONE")
    elif isinstance(f["unit_nature"], list):
        found.add("UNIT_NATURE_MULTIPLE")
    if f["unit_nature"] == "其他" and not f["unit_nature_other"]:
        found.add("UNIT_NATURE_OTHER_UNSPECIFIED")
    contact = r["contact"]
    for role in ("leader", "contact"):
        mobile, phone, email = f[f"{role}_mobile"], f[f"{role}_phone"], f[f"{role}_email"]
        if mobile and not re.match(contact["mobile_pattern"], re.sub(r"[\s\-]", "", mobile)):
            found.add("MOBILE_INVALID")
        for value in (phone, f[f"{role}_fax"]):
            if value and not re.match(contact["phone_pattern"], re.sub(r"[\s\-()（）]", "", value)):
                found.add("PHONE_INVALID")
        if email and not re.match(contact["email_pattern"], email):
            found.add("EMAIL_INVALID")
    addr = f["address"] or ""
    if addr and r["address"]["city"] not in addr and not any(d in addr for d in r["address"]["districts"]):
        found.add("ADDRESS_NOT_SHANGHAI")
    joint = f["joint_units"]
    if len(joint) > r["joint_units"]["max"]:
        found.add("JOINT_UNITS_TOO_MANY")
    joint_codes = [u["code"] for u in joint if u["code"]]
    if len(set(joint_codes)) < len(joint_codes) or lead in joint_codes:
        found.add("JOINT_UNIT_DUPLICATE")
    for sec in rules.sections():
        length = f["section_lengths"][sec.key]
        if length == 0:
            found.add("SECTION_EMPTY")
        if length > sec.limit:
            found.add("SECTION_TOO_LONG")
    text = narrative(f)
    for words in r["coverage"]["tech_elements"].values():
        if not any(w in text for w in words):
            found.add("TECH_ELEMENTS_MISSING")
    overview = f["sections"]["scenario_overview"]
    for words in r["coverage"]["overview_topics"].values():
        if not any(w in overview for w in words):
            found.add("OVERVIEW_TOPICS_MISSING")
    if isinstance(f["track"], str):
        hits = track_hits(text)
        own = hits[f["track"]]
        cov = r["coverage"]
        others = {t: h for t, h in hits.items() if t != f["track"]}
        if any(
            h[0] >= cov["mismatch_ratio"] * own[0] and h[0] >= cov["mismatch_min_hits"]
            for h in others.values()
        ):
            found.add("DIRECTION_CONTENT_MISMATCH")
        elif any(h[0] >= own[0] or h[1] >= own[1] for h in others.values()):
            raise AssertionError(f"narrative too close to another track: {hits}")
    return found


def _name_key(name: str) -> str:
    return re.sub(r"[\s《》“”\"]", "", normalise_width(name))


def _letter_rules(letter: dict, form: dict | None) -> set[str]:
    r = rules.rules()
    found: set[str] = set()
    if form and _name_key(letter["letter_scenario_name"]) != _name_key(form["scenario_name"]):
        found.add("SCENARIO_NAME_MISMATCH")
    if letter["letter_date"] is None:
        found.add("LETTER_DATE_MISSING")
    else:
        lo, hi = (date.fromisoformat(d) for d in r["letter"]["date_window"])
        if not lo <= date.fromisoformat(letter["letter_date"]) <= hi:
            found.add("LETTER_DATE_OUT_OF_WINDOW")
    for written, official in zip(letter["letter_clauses"], rules.official_clauses(), strict=True):
        ratio = difflib.SequenceMatcher(None, written, official).ratio()
        if ratio < r["letter"]["clause_similarity_min"]:
            assert ratio < 0.8, "an altered clause should be clearly altered"
            found.add("LETTER_CLAUSES_ALTERED")
    if not letter["letter_has_seal"]:
        found.add("SEAL_MISSING")
    return found


def derived_rules(sub: Submission) -> set[str]:
    kinds = {f.kind for f in sub.files if f.listed}
    found = {FILE_RULES[f.producer] for f in sub.files if f.producer in FILE_RULES}
    form = form_fields(sub.form) if sub.form and kinds & {"form", "both"} else None
    letter = letter_fields(sub.letter) if sub.letter and kinds & {"letter", "both"} else None
    if form is None:
        found.add("FORM_MISSING")
    else:
        found |= _form_rules(form)
    if letter is None:
        found.add("LETTER_MISSING")
    else:
        found |= _letter_rules(letter, form)
    return found


def check(subs: list[Submission]) -> list[str]:
    """Raise when a sample shows other rules than it declares; return notes worth printing."""
    notes = []
    keys: dict[tuple[str, str], list[str]] = {}
    for sub in subs:
        if sub.form:
            keys.setdefault((normalise_code(sub.form.lead_unit_code), sub.form.scenario_name), []).append(
                sub.id
            )
    duplicated = {i for ids in keys.values() if len(ids) > 1 for i in ids}
    for sub in subs:
        found = derived_rules(sub) | ({"DUPLICATE_SUBMISSION"} if sub.id in duplicated else set())
        if found != set(sub.rules):
            raise AssertionError(f"{sub.id}: declares {sorted(sub.rules)} but shows {sorted(found)}")
        if sub.letter and sub.letter.contact_phone:
            phone = re.sub(r"[\s\-()]", "", sub.letter.contact_phone)
            contact = rules.rules()["contact"]
            assert re.match(contact["mobile_pattern"], phone) or re.match(contact["phone_pattern"], phone), (
                sub.id
            )
    sim = rules.rules()["similarity"]
    texts = [(s.id, form_fields(s.form)) for s in subs if s.form]
    worst = (0.0, "", "", "")
    for i, (id_a, fa) in enumerate(texts):
        for id_b, fb in texts[i + 1 :]:
            for key in sim["sections"]:
                a, b = fa["sections"][key], fb["sections"][key]
                if min(len(a), len(b)) < sim["min_chars"]:
                    continue
                ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
                if ratio > worst[0]:
                    worst = (ratio, id_a, id_b, key)
    if worst[0] >= 0.75:
        raise AssertionError(f"narratives too similar: {worst}")
    notes.append(f"most similar narratives: {worst[0]:.2f} ({worst[3]}: {worst[1]} / {worst[2]})")
    return notes
