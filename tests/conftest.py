"""Shared fixtures: the packaged rules, the bundled samples, and one pipeline run over them."""

from __future__ import annotations

import json
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
