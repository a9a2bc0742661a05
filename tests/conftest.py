"""Shared fixtures: the packaged rules, the bundled samples, and one pipeline run over them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import load_rules

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
SAMPLE_BATCH = SAMPLES / "batch"
EXPECTED = SAMPLES / "expected.json"


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text("utf-8"))["submissions"]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, rules):
    """The samples checked once per test session (engine + all outputs), shared by many tests."""
    from pipeline.engine import RunOptions, run_batch
    from pipeline.report import write_outputs

    out = tmp_path_factory.mktemp("sample-run")
    result = run_batch(SAMPLE_BATCH, rules, RunOptions(workers=2))
    write_outputs(result, out, rules)
    return result, out


# Tests that take long (the whole sample batch through OCR, LibreOffice, Chromium, large batches):
# listed in slow_tests.txt by node id or file, measured with `pytest --durations=0`. They carry the
# `slow` marker, so `pytest -m "not slow"` is the quick subset; CI runs everything.
_SLOW = tuple(line.strip() for line in (REPO / "tests" / "slow_tests.txt").read_text("utf-8").splitlines()
              if line.strip() and not line.startswith("#"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        base = item.nodeid.split("[", 1)[0]
        # every test on the session's run of the whole sample batch (with OCR) is slow too
        on_samples = "sample_run" in item.fixturenames or (
            hasattr(item, "callspec") and "samples" in item.callspec.params.values())  # any_run[samples]
        if base in _SLOW or item.nodeid.split("::", 1)[0] in _SLOW or on_samples:
            item.add_marker(pytest.mark.slow)


def run_console(batch: Path, out: Path, *args: str) -> dict:
    """`pipeline run BATCH --out OUT --no-ocr ARGS` as a user runs it (the console script, this
    checkout's code); asserts it exits 0 and returns OUT/results.json."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([str(Path(sys.executable).parent / "pipeline"), "run", str(batch), "--out", str(out),
                           "--no-ocr", *args], env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "results.json").read_text("utf-8"))
