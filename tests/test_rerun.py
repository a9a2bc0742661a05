"""A re-run into the same OUT reuses what the cache holds (files, validation, records, pages) and
publishes whole outputs, byte for byte what a full run writes; a touched output is simply replaced."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from docx import Document

from pipeline.cli import main
from pipeline.config import load_rules
from pipeline.engine import RunOptions, check_batch, publish_outputs
from pipeline.report.html import report_files
from pipeline.report.index import build_index_view, render_index_view
from pipeline.report.xlsx import write_xlsx
from tests.test_cli import SCHEMA
from tests.test_engine import SUBSET, copy_subset

# What differs between two runs of the same batch.
RUN_TIMES = {"started", "seconds", "stage_seconds", "cache", "validation", "files_extracted",
             "worker_processes", "peak_worker_rss_mb"}


@pytest.fixture()
def batch(tmp_path) -> Path:
    return copy_subset(tmp_path / "batch", SUBSET[:3] + SUBSET[4:6])


def run_and_publish(batch: Path, out: Path, rules=None, workers: int = 2):
    rules = rules or load_rules()
    checked = check_batch(batch, rules, RunOptions(workers=workers, ocr=False, cache_dir=out / ".cache"))
    publish_outputs(checked.result, out, rules, checked.prepared)
    return checked.result


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_unchanged_batch_is_published_as_a_full_run_would(batch, tmp_path):
    out = tmp_path / "out"
    cold = run_and_publish(batch, out)
    before = outputs(out)
    again = run_and_publish(batch, out)
    assert again.run["files_extracted"] == 0 and again.run["cache"]["hits"] == cold.run["files"]
    assert again.run["validation"]["submissions_validated"] == 0
    after = outputs(out)

    # The same files; pages the same bytes, the submissions' records and GX's verdicts the same.
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k.startswith("reports/")} == \
        {k: v for k, v in before.items() if k.startswith("reports/")}
    gx_old, gx_new = json.loads(before["expectations.json"]), json.loads(after["expectations.json"])
    assert gx_new["reused"] is True and gx_old["reused"] is False
    assert {k: v for k, v in gx_new.items() if k not in ("reused", "seconds")} == \
        {k: v for k, v in gx_old.items() if k not in ("reused", "seconds")}
    old, new = json.loads(before["results.json"]), json.loads(after["results.json"])
    assert new["submissions"] == old["submissions"]
    assert {k: v for k, v in new["run"].items() if k not in RUN_TIMES} == \
        {k: v for k, v in old["run"].items() if k not in RUN_TIMES}
    assert new["run"]["started"] >= old["run"]["started"]

    # The workbook and the index are byte for byte what a full write of the new results gives.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    rules = load_rules()
    assert write_xlsx(new, fresh, rules).read_bytes() == after["consolidated.xlsx"]
    names = report_files(new["submissions"])
    assert render_index_view(build_index_view(new, rules, names)).encode("utf-8") == after["index.html"]


def _edit_input(batch: Path, out: Path) -> None:
    target = batch / SUBSET[0] / "附件1-需求征集表.docx"
    doc = Document(str(target))
    doc.core_properties.comments = "再次保存"
    doc.save(str(target))


def _append_to_results(batch: Path, out: Path) -> None:
    with open(out / "results.json", "ab") as fh:
        fh.write(b" ")


def _same_size_results(batch: Path, out: Path) -> None:  # another byte, same size and mtime: the ctime moves
    path = out / "results.json"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-2:-1] = b" " if data[-2:-1] != b" " else b"\n"
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _delete_page(batch: Path, out: Path) -> None:
    next((out / "reports").glob("*.html")).unlink()


def _edit_page(batch: Path, out: Path) -> None:
    page = next((out / "reports").glob("*.html"))
    page.write_bytes(page.read_bytes().replace(b"</html>", b"<!-- edited --></html>"))


def _extra_page(batch: Path, out: Path) -> None:
    (out / "reports" / "extra.html").write_text("x", "utf-8")


def _delete_workbook(batch: Path, out: Path) -> None:
    (out / "consolidated.xlsx").unlink()


def _add_file(batch: Path, out: Path) -> None:
    shutil.copy2(batch / SUBSET[4], batch / "附件1-需求征集表（另一份）.docx")


@pytest.mark.parametrize("change", [_edit_input, _add_file, _append_to_results, _same_size_results, _delete_page,
                                    _edit_page, _extra_page, _delete_workbook])
def test_a_changed_batch_or_touched_output_gets_whole_outputs(batch, tmp_path, change):
    out = tmp_path / "out"
    run_and_publish(batch, out)
    change(batch, out)
    again = run_and_publish(batch, out)
    data = json.loads((out / "results.json").read_bytes())  # whole and valid again
    assert [s["submission_id"] for s in data["submissions"]] == [s.submission_id for s in again.submissions]
    assert sorted(p.name for p in (out / "reports").glob("*.html")) == sorted(report_files(data["submissions"]).values())
    assert (out / "consolidated.xlsx").is_file()
    assert b"<!-- edited -->" not in b"".join(p.read_bytes() for p in (out / "reports").glob("*.html"))
    assert run_and_publish(batch, out).run["files_extracted"] == 0  # and the run after that reads nothing


def test_cli_rerun_keeps_fail_on(batch, tmp_path):
    out = tmp_path / "out"
    args = ["run", str(batch), "--out", str(out), "--no-ocr", "--fail-on", "error"]
    first = CliRunner().invoke(main, args)
    data = json.loads((out / "results.json").read_bytes())
    failing = data["run"]["counts"]["fail"]
    assert failing and first.exit_code == 1, first.output
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 1 and "均未变化，沿用上次结果" in second.output, second.output
    again = json.loads((out / "results.json").read_bytes())
    assert again["run"]["unchanged"] is False and again["submissions"] == data["submissions"]
    jsonschema.validate(again, SCHEMA)
    third = CliRunner().invoke(main, [*args[:-2], "--fail-on", "never"])
    assert third.exit_code == 0
    plain = CliRunner().invoke(main, [*args[:-2], "--no-cache", "-q"])  # no cache: every file read again
    assert plain.exit_code == 0 and json.loads((out / "results.json").read_bytes())["submissions"] == data["submissions"]
