"""Shared by the sample-accuracy tests: where each expected file is, and the field-by-field comparison."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline.discover import Discoverer
from pipeline.safety import sanitize_name

try:
    from .conftest import SAMPLE_BATCH
except ImportError:  # tests/ run as a plain directory
    from conftest import SAMPLE_BATCH

LETTER_KEYS = (
    "letter_scenario_name",
    "letter_clauses",
    "letter_contact",
    "letter_contact_phone",
    "letter_date",
    "letter_has_seal",
)
NOT_EXTRACTED = ("section_lengths",)  # computed by the validator
CHECKBOX_KEYS = ("direction", "track", "unit_nature", "unit_nature_other")
# The scanned samples (samples/make_scan_samples.py): both files are scans, compared with OCR's
# tolerance in tests/test_scan_samples.py rather than exactly.
SCAN_NAMES = ("附件1-需求征集表（扫描件）.pdf", "附件2-建设承诺书（盖章扫描件）.pdf")


def scanned_sample(entry: dict) -> bool:
    return {f["path"] for f in entry["files"]} == set(SCAN_NAMES)


def expected_keys(kind: str, expected_fields: dict) -> list[str]:
    if kind == "letter":
        return [k for k in LETTER_KEYS if k in expected_fields]
    return [k for k in expected_fields if k not in LETTER_KEYS and k not in NOT_EXTRACTED]


def batch_files(rules, tmp: Path) -> dict:
    """(submission id or None for loose files, path inside it) → file on disk (zips unpacked)."""
    where = {}
    for sub in Discoverer(rules, tmp).discover(SAMPLE_BATCH):
        for f in sub.files:
            if f.real_path is not None:
                where[(sub.submission_id if sub.origin != "loose" else None, f.rel_path)] = f.real_path
    return where


def real_path(where: dict, sid: str, path: str) -> Path:
    real = where.get((sanitize_name(sid), path)) or where.get((None, path))
    assert real is not None, f"{sid}: {path} not found in the batch"
    return real


def _undecidable(res) -> bool:
    """The file carries a note that some checkbox shows as a missing-glyph box in the PDF."""
    notes = list(res.notes) + [n for d in res.documents for n in d.notes]
    return any("无法判断是否勾选" in n.message for n in notes)


def _same(key: str, got, want, pdf: bool) -> bool:
    """Equal, except that a PDF's section texts are compared without their line breaks: a paragraph
    whose last line happens to fill the width cannot be told from one that goes on (the text layer
    has no paragraph marks), and breaks are no content (字 counts and coverage ignore them)."""
    if pdf and key == "sections" and isinstance(got, dict) and isinstance(want, dict):
        return {k: _flat(v) for k, v in got.items()} == {k: _flat(v) for k, v in want.items()}
    return got == want


def _flat(text):
    return re.sub(r"\s+", "", text) if isinstance(text, str) else text


def compare(cases, expected, what: str, allow_undecidable: bool = False) -> None:
    compared = 0
    wrong: list[str] = []
    noted: list[str] = []
    per_key: dict[str, list[int]] = {}
    for sid, f, res, _ in cases:
        docs = {d.kind: d for d in res.documents}
        kinds = {"both": {"form", "letter"}, "form": {"form"}, "letter": {"letter"}, "unknown": set()}[
            f["kind"]
        ]
        if set(docs) != kinds:
            wrong.append(f"{sid} / {f['path']}: documents {sorted(docs)} ≠ {sorted(kinds)} {res.problems}")
            continue
        exp_fields = expected[sid]["fields"]
        for kind, doc in docs.items():
            for key in expected_keys(kind, exp_fields):
                compared += 1
                ok = _same(key, doc.fields.get(key), exp_fields[key], res.source.format == "pdf")
                per_key.setdefault(key, [0, 0])[0 if ok else 1] += 1
                if not ok:
                    got = json.dumps(doc.fields.get(key), ensure_ascii=False)[:300]
                    want = json.dumps(exp_fields[key], ensure_ascii=False)[:300]
                    line = f"{sid} / {f['path']} [{key}]\n    got  {got}\n    want {want}"
                    if (
                        allow_undecidable
                        and key in CHECKBOX_KEYS
                        and doc.fields.get(key) is None
                        and _undecidable(res)
                    ):
                        noted.append(line)
                    else:
                        wrong.append(line)
    bad_fields = sum(1 for w in wrong if "[" in w.split("\n")[0]) + len(noted)
    print(f"\n{what} accuracy: {compared - bad_fields}/{compared} fields in {len(cases)} files")
    for line in noted:
        print("  undecidable in the PDF itself (noted for the reviewer): " + line.replace("\n", " "))
    for key, (good, bad) in sorted(per_key.items()):
        print(f"  {key}: {good}/{good + bad}")
    for sid, f, res, seconds in cases:
        ocr = f" OCR {res.source.pages} 页" if res.source.ocr else ""
        print(f"  {seconds:6.2f}s {f['kind']:7s}{ocr} {sid} / {f['path']}")
    assert not wrong, "\n".join(wrong)
