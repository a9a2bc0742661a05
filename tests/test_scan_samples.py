"""The scanned sample submissions (issue #18) through the CLI, as a secretariat runs it.

samples/make_scan_samples.py made them from the generator's DOCX (LibreOffice → pdftoppm →
degraded with Pillow): whole forms at 150/200/300 dpi, grey and colour, JPEG quality 50, skewed up
to ±3°, a page turned 90° and one 180°; letters with a red seal over the unit name and the date, one
of them a phone photo. One `pipeline run --workers 2` (otherwise the defaults) reads all of them:
- no file fails for the checker's own resources (time, memory, a crashed OCR engine);
- ≥ 97 % of the fields are exact against samples/expected.json, and every date, code and tick;
- no error finding that expected.json does not list, and every rule it lists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.extract import ocr

try:
    from .conftest import SAMPLE_BATCH
    from .sample_compare import SCAN_NAMES, scanned_sample
    from .test_ocr_resources import RESOURCE_WORDS
except ImportError:  # tests/ run as a plain directory
    from conftest import SAMPLE_BATCH
    from sample_compare import SCAN_NAMES, scanned_sample
    from test_ocr_resources import RESOURCE_WORDS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ocr.engine_available(), reason="needs the OCR engine"),
]

# Values that must be exact on every scan where they are legible (issue #18: dates, codes, ticks).
STRICT = ("lead_unit_code", "letter_date", "direction", "track", "unit_nature", "letter_has_seal")
MIN_EXACT = 0.97


def _scanned(expected: dict) -> list[str]:
    return sorted(sid for sid, e in expected.items() if scanned_sample(e))


@pytest.fixture(scope="module")
def run(expected, tmp_path_factory):
    """The scanned submissions copied into one batch and checked by the CLI with --workers 2."""
    ids = _scanned(expected)
    assert len(ids) >= 6
    work = tmp_path_factory.mktemp("scan-samples")
    batch = work / "batch"
    for sid in ids:
        shutil.copytree(SAMPLE_BATCH / sid, batch / sid)
    out = work / "out"
    cli = Path(sys.executable).with_name("pipeline")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "pipeline"]
    proc = subprocess.run([*cmd, "run", str(batch), "--out", str(out), "--workers", "2", "--quiet"],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text("utf-8"))
    return ids, {s["submission_id"]: s for s in results["submissions"]}, out


def _flat(value):
    if isinstance(value, str):
        return re.sub(r"\s+", "", value)
    if isinstance(value, dict):
        return {k: _flat(v) for k, v in value.items()}
    return value


def _field_items(fields: dict):
    """(key, value) per field, each narrative section and each joint unit's value apart."""
    for key, value in fields.items():
        if key == "section_lengths":
            continue
        if key == "sections" and isinstance(value, dict):
            for k, v in value.items():
                yield f"sections.{k}", v
        elif key == "letter_clauses" and isinstance(value, list):
            for i, v in enumerate(value):
                yield f"letter_clauses[{i}]", v
        elif key == "joint_units" and isinstance(value, list):
            for i, unit in enumerate(value):
                for k, v in unit.items():
                    yield f"joint_units[{i}].{k}", v
        else:
            yield key, value


def _lookup(fields: dict, key: str):
    m = re.fullmatch(r"sections\.(\w+)", key)
    if m:
        return (fields.get("sections") or {}).get(m[1])
    m = re.fullmatch(r"letter_clauses\[(\d+)\]", key)
    if m:
        clauses = fields.get("letter_clauses") or []
        return clauses[int(m[1])] if int(m[1]) < len(clauses) else None
    m = re.fullmatch(r"joint_units\[(\d+)\]\.(\w+)", key)
    if m:
        units = fields.get("joint_units") or []
        return units[int(m[1])].get(m[2]) if int(m[1]) < len(units) else None
    return fields.get(key)


def test_no_scan_fails_for_the_checkers_resources(run):
    ids, subs, out = run
    assert set(ids) <= set(subs)
    for sid in ids:
        sub = subs[sid]
        for f in sub["findings"]:
            if f["rule"] in ("FILE_UNREADABLE", "EXTRACTION_INCOMPLETE", "FORM_MISSING", "LETTER_MISSING"):
                assert not any(w in f["message"] for w in RESOURCE_WORDS), f"{sid}: {f['message']}"
            assert f["rule"] not in ("FILE_UNREADABLE", "FORM_MISSING", "LETTER_MISSING"), f"{sid}: {f}"
        assert {f["path"]: f["ocr"] for f in sub["files"]} == dict.fromkeys(SCAN_NAMES, True), sid
    assert not (out / "logs" / "run.log").exists() or not (out / "logs" / "run.log").read_text("utf-8").strip()


def test_scanned_samples_fields_against_expected(run, expected):
    ids, subs, _ = run
    exact = total = 0
    wrong: list[str] = []
    strict_wrong: list[str] = []
    for sid in ids:
        got = subs[sid]["fields"]
        for key, want in _field_items(expected[sid]["fields"]):
            value = _lookup(got, key)
            total += 1
            if _flat(value) == _flat(want):
                exact += 1
                continue
            line = f"{sid} [{key}]\n    got  {json.dumps(value, ensure_ascii=False)[:200]}\n    want {json.dumps(want, ensure_ascii=False)[:200]}"
            wrong.append(line)
            if key in STRICT or key.endswith(".code"):
                strict_wrong.append(line)
    print(f"\nscanned samples: {exact}/{total} fields exact ({exact / total:.1%}) in {len(ids)} submissions")
    for line in wrong:
        print("  " + line)
    assert not strict_wrong, "\n".join(strict_wrong)
    assert exact / total >= MIN_EXACT, f"{exact}/{total}"


def test_scanned_samples_findings_against_expected(run, expected):
    ids, subs, _ = run
    for sid in ids:
        want = set(expected[sid]["rules"])
        findings = subs[sid]["findings"]
        errors = {f["rule"] for f in findings if f["severity"] == "error"}
        assert errors <= want, f"{sid}: errors {sorted(errors - want)} not expected: " + "; ".join(
            f["message"] for f in findings if f["rule"] in errors - want)
        got = {f["rule"] for f in findings}
        assert want <= got, f"{sid}: expected {sorted(want - got)}, got {sorted(got)}"

