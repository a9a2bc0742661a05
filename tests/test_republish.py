"""An unchanged batch run again is published again without being read (pipeline.republish), and its
outputs are those a full run would write."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from docx import Document

from pipeline.cache import HashMemo, ResultCache
from pipeline.cli import main
from pipeline.config import load_rules
from pipeline.discover import Discoverer, stat_identity
from pipeline.engine import RunOptions, publish_outputs, run_batch
from pipeline.report.html import build_index_view, render_index_view, report_files
from pipeline.report.xlsx import write_xlsx
from pipeline.republish import Published, _untouched
from tests.test_cli import SCHEMA
from tests.test_engine import SUBSET, copy_subset

# What differs between two runs of the same batch.
RUN_TIMES = {"started", "seconds", "stage_seconds", "cache", "validation", "files_extracted", "unchanged",
             "worker_processes", "peak_worker_rss_mb"}


@pytest.fixture()
def batch(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(HashMemo, "RACY_SECONDS", 0)  # the copies were just made (see test_engine)
    return copy_subset(tmp_path / "batch", SUBSET[:3] + SUBSET[4:6])


def run_and_publish(batch: Path, out: Path, rules=None, workers: int = 2):
    from pipeline.report.html import PreviousReports

    rules = rules or load_rules()
    cache = out / ".cache"
    previous = PreviousReports(out / "reports", cache / "reports.json")
    published = Published(out, cache)
    result = run_batch(batch, rules, RunOptions(workers=workers, ocr=False, cache_dir=cache,
                                                previous_pages=previous, published=published))
    publish_outputs(result, out, rules, cache / "reports.json", previous, published=published)
    return result


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_unchanged_batch_is_published_again_as_a_full_run_would(batch, tmp_path, monkeypatch):
    out = tmp_path / "out"
    cold = run_and_publish(batch, out)
    assert cold.unchanged is None and cold.batch_key
    before = outputs(out)
    page_inodes = {p.name: p.stat().st_ino for p in (out / "reports").glob("*.html")}

    def no_reading(*args, **kwargs):
        raise AssertionError("an unchanged batch is not read")

    monkeypatch.setattr(ResultCache, "get", no_reading)
    monkeypatch.setattr(Discoverer, "materialize", staticmethod(no_reading))
    again = run_and_publish(batch, out)
    assert again.unchanged is not None and again.submissions == []
    assert again.run["unchanged"] is True and cold.run["unchanged"] is False
    assert again.run["files_extracted"] == 0 and again.run["cache"]["hits"] == cold.run["files"]
    after = outputs(out)

    # The same files; pages and expectations.json untouched, the submissions' records the same.
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k.startswith("reports/") or k == "expectations.json"} == \
        {k: v for k, v in before.items() if k.startswith("reports/") or k == "expectations.json"}
    assert page_inodes == {p.name: p.stat().st_ino for p in (out / "reports").glob("*.html")}
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
    assert after["consolidated.xlsx"] != before["consolidated.xlsx"] or new["run"]["seconds"] == old["run"]["seconds"]

    # And again: a republished batch is republished in turn.
    third = run_and_publish(batch, out)
    assert third.unchanged is not None
    assert json.loads((out / "results.json").read_bytes())["submissions"] == old["submissions"]


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


def _extra_page(batch: Path, out: Path) -> None:
    (out / "reports" / "extra.html").write_text("x", "utf-8")


def _delete_workbook(batch: Path, out: Path) -> None:
    (out / "consolidated.xlsx").unlink()


def _add_file(batch: Path, out: Path) -> None:
    shutil.copy2(batch / SUBSET[4], batch / "附件1-需求征集表（另一份）.docx")


@pytest.mark.parametrize("change", [_edit_input, _add_file, _append_to_results, _same_size_results, _delete_page,
                                    _extra_page, _delete_workbook])
def test_a_changed_batch_or_touched_output_gets_a_full_run(batch, tmp_path, change):
    out = tmp_path / "out"
    run_and_publish(batch, out)
    change(batch, out)
    again = run_and_publish(batch, out)
    assert again.unchanged is None and again.submissions
    data = json.loads((out / "results.json").read_bytes())  # whole and valid again
    assert [s["submission_id"] for s in data["submissions"]] == [s.submission_id for s in again.submissions]
    assert sorted(p.name for p in (out / "reports").glob("*.html")) == sorted(report_files(data["submissions"]).values())
    assert (out / "consolidated.xlsx").is_file()
    assert run_and_publish(batch, out).unchanged is not None  # and the run after that is quick again


def test_other_rules_path_or_folder_gets_a_full_run(batch, tmp_path):
    out = tmp_path / "out"
    run_and_publish(batch, out)
    rules_copy = tmp_path / "rules.toml"
    shutil.copy2(Path(__file__).resolve().parent.parent / "pipeline" / "rules" / "default.toml", rules_copy)
    other = run_and_publish(batch, out, rules=load_rules(rules_copy))  # same rules, named otherwise
    assert other.unchanged is None and other.run["rules_source"] != load_rules().source
    moved = tmp_path / "moved"
    shutil.copytree(out, moved, copy_function=shutil.copy2)
    assert run_and_publish(batch, moved, rules=load_rules(rules_copy)).unchanged is None  # recorded for `out`


def test_cli_republishes_and_keeps_fail_on(batch, tmp_path):
    out = tmp_path / "out"
    args = ["run", str(batch), "--out", str(out), "--no-ocr", "--fail-on", "error"]
    first = CliRunner().invoke(main, args)
    data = json.loads((out / "results.json").read_bytes())
    failing = data["run"]["counts"]["fail"]
    assert failing and first.exit_code == 1, first.output
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 1 and "均未变化，沿用上次结果" in second.output, second.output
    republished = json.loads((out / "results.json").read_bytes())
    assert republished["run"]["unchanged"] is True
    jsonschema.validate(republished, SCHEMA)
    third = CliRunner().invoke(main, [*args[:-2], "--fail-on", "never"])
    assert third.exit_code == 0
    plain = CliRunner().invoke(main, [*args[:-2], "--no-cache", "-q"])  # no cache: a full run, no record
    assert plain.exit_code == 0 and json.loads((out / "results.json").read_bytes())["run"]["unchanged"] is False


def test_a_record_naming_other_files_is_not_taken(batch, tmp_path):
    """The record is only trusted for the files a run publishes in OUT, nothing elsewhere."""
    out = tmp_path / "out"
    run_and_publish(batch, out)
    published = out / ".cache" / "published.json"
    record = json.loads(published.read_bytes())
    outside = tmp_path / "outside.txt"
    outside.write_text("x", "utf-8")
    record["files"]["../outside.txt"] = [list(stat_identity(outside.stat())), "0" * 64]
    published.write_text(json.dumps(record), "utf-8")
    assert run_and_publish(batch, out).unchanged is None


def test_racily_clean_outputs_are_hashed(tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(b"abc")
    entry = [list(stat_identity(path.stat())), "0" * 64]  # a recorded sha256 that does not match
    ctime = path.stat().st_ctime_ns
    assert _untouched(path, entry, clock=ctime + 1)  # recorded after the last change: the identity is enough
    assert not _untouched(path, entry, clock=ctime)  # same tick: it is hashed, and differs
    import hashlib

    entry[1] = hashlib.sha256(b"abc").hexdigest()
    assert _untouched(path, entry, clock=ctime)
    assert not _untouched(tmp_path / "gone.json", entry, clock=ctime + 1)


def test_republished_workbook_is_the_full_write_of_the_new_run(tmp_path, cold_subset_results):
    """republish writes consolidated.xlsx with write_xlsx from the restamped results.json (no edit of
    the previous workbook's XML): the bytes a full write of the new run gives, whichever run was before."""
    from pipeline.report import results_bytes
    from pipeline.republish import Published, Republish, republish

    data = cold_subset_results
    rules = load_rules()
    runs = [dict(data["run"], started="2026-12-04T08:00:00+00:00", seconds=12.5),
            dict(data["run"], started="2027-01-31T23:59:59+00:00", seconds=0.123)]
    books = []
    for i, run in enumerate(runs):
        folder = tmp_path / str(i)
        folder.mkdir()
        books.append(write_xlsx(dict(data, run=run), folder, rules).read_bytes())
    assert books[0] != books[1]
    for before, after in ((0, 1), (1, 0)):
        out = tmp_path / f"out-{before}{after}"
        (out / "reports").mkdir(parents=True)
        (out / "results.json").write_bytes(results_bytes(dict(data, run=runs[before])))
        (out / "consolidated.xlsx").write_bytes(books[before])
        view = build_index_view(dict(data, run=runs[before]), rules, report_files(data["submissions"]))
        plan = Republish({"key": "k", "view": view, "files": {}},
                         Published(out, tmp_path / f"cache-{before}{after}"))
        republish(type("Result", (), {"run": runs[after], "unchanged": plan})(), out, rules)
        assert (out / "consolidated.xlsx").read_bytes() == books[after]
        with zipfile.ZipFile(out / "consolidated.xlsx") as z:
            assert z.testzip() is None


@pytest.fixture(scope="module")
def cold_subset_results(tmp_path_factory) -> dict:
    batch = copy_subset(tmp_path_factory.mktemp("rp") / "batch", SUBSET[:2])
    out = tmp_path_factory.mktemp("rp-out")
    rules = load_rules()
    publish_outputs(run_batch(batch, rules, RunOptions(workers=2, ocr=False)), out, rules)
    return json.loads((out / "results.json").read_bytes())
