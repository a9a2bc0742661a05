"""Fuzzing with hypothesis over mutated real files: byte flips, truncation and corrupted zip members of a
sample DOCX and PDF go through the same isolated workers as a run. Every input must end in a result
(documents, or a FileProblem the report shows) that serialises to JSON: never an exception escaping
the extractor, never longer than the per-file limit. Examples are derandomised so CI is repeatable."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import load_rules
from pipeline.discover import Discoverer
from pipeline.engine import ExtractTask, outcome_result
from pipeline.extract import ExtractOptions
from pipeline.model import FileResult, to_jsonable
from pipeline.safety import Limits
from pipeline.workers import IsolatedPool

REPO = Path(__file__).resolve().parent.parent
DOCX = REPO / "samples" / "batch" / "上海臻图智造科技有限公司-白车身焊装产线数字孪生" / "附件1-需求征集表.docx"
PDF = REPO / "samples" / "batch" / "上海星河演艺文化合伙企业（有限合伙）-运河古镇虚拟演艺沉浸式夜游" / "附件1-需求征集表.pdf"
LIMIT_S = 10.0
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("fuzz-src")
    shutil.copy2(DOCX, d / "form.docx")
    shutil.copy2(PDF, d / "form.pdf")
    return {"docx": (d / "form.docx").read_bytes(), "pdf": (d / "form.pdf").read_bytes()}


@pytest.fixture(scope="module")
def pool():
    limits = Limits(file_timeout_s=LIMIT_S)
    with IsolatedPool("pipeline.filetask:make_extractor", (load_rules(), ExtractOptions(limits=limits, ocr=False)),
                      2, LIMIT_S, limits.memory_mb) as p:
        yield p, limits


def check(pool, tmp_path: Path, data: bytes, suffix: str) -> FileResult:
    p, limits = pool
    path = tmp_path / f"mutant{suffix}"
    path.write_bytes(data)
    task = ExtractTask(f"附件1{suffix}", suffix, hashlib.sha256(data).hexdigest(), len(data), str(path))
    started = time.monotonic()
    outcome = p.run(task)
    assert time.monotonic() - started < LIMIT_S + 10, "a file ran past the per-file limit"
    assert outcome.failure != "error", f"an exception escaped the extractor: {outcome.detail}"
    res = outcome_result(task, outcome, limits)
    assert res.source.path == task.display and res.source.kind in {"form", "letter", "both", "unknown"}
    assert res.source.sha256 == task.sha256  # the file's identity survives whatever its parser did
    json.dumps(to_jsonable(res), ensure_ascii=False, allow_nan=False)  # the results contract can carry it
    for problem in res.problems:
        assert problem.rule in {"FILE_UNREADABLE", "FILE_ENCRYPTED", "FILE_UNSUPPORTED", "OCR_UNAVAILABLE"}
        assert problem.reason
    return res


flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=24)


def flip(data: bytes, changes: list[tuple[float, int]]) -> bytes:
    buf = bytearray(data)
    for where, value in changes:
        buf[int(where * len(buf))] = value
    return bytes(buf)


def test_unmutated_originals_are_read(pool, tmp_path, originals):
    for fmt, data in originals.items():
        res = check(pool, tmp_path, data, f".{fmt}")
        assert res.documents and not res.problems, fmt


@FUZZ
@given(changes=flips)
def test_byte_flips(pool, tmp_path, originals, changes):
    for fmt, data in originals.items():
        check(pool, tmp_path, flip(data, changes), f".{fmt}")


@FUZZ
@given(cut=st.floats(0, 1))
def test_truncation(pool, tmp_path, originals, cut):
    for fmt, data in originals.items():
        check(pool, tmp_path, data[: int(cut * len(data))], f".{fmt}")


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i, zf.read(i)) for i in zf.infolist()]


def _rezip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, body in members:
            zf.writestr(info.filename, body)
    return out.getvalue()


@FUZZ
@given(which=st.floats(0, 1, exclude_max=True),
       action=st.sampled_from(["flip_xml", "truncate_xml", "drop", "duplicate", "garbage", "lie_size", "flip_compressed"]),
       changes=flips)
def test_docx_member_corruption(pool, tmp_path, originals, which, action, changes):
    members = _members(originals["docx"])
    i = int(which * len(members))
    info, body = members[i]
    if action == "flip_xml":
        members[i] = (info, flip(body, changes) if body else body)
    elif action == "truncate_xml":
        members[i] = (info, body[: int(changes[0][0] * len(body))])
    elif action == "drop":
        del members[i]
    elif action == "duplicate":
        members.append((info, flip(body, changes) if body else b"<"))
    elif action == "garbage":
        members[i] = (info, bytes(v for _w, v in changes) * 50)
    data = _rezip(members)
    if action == "lie_size":  # the central directory claims another uncompressed size for the first member
        pos = data.find(b"PK\x01\x02")
        data = data[: pos + 24] + struct.pack("<I", changes[0][1] * 1_000_003) + data[pos + 28:]
    elif action == "flip_compressed":  # damage the deflate stream itself, headers intact
        data = flip(data, [(w * 0.6, v) for w, v in changes])
    check(pool, tmp_path, data, ".docx")


@FUZZ
@given(which=st.floats(0, 1, exclude_max=True), changes=flips, cut=st.floats(0, 1))
def test_submission_zip_corruption_never_breaks_discovery(tmp_path, originals, which, changes, cut):
    """A damaged submission zip is listed with problems, never an exception, and nothing lands outside the run's folder."""
    rules = load_rules()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("附件1-需求征集表.docx", originals["docx"])
        zf.writestr("材料/附件2-建设承诺书.pdf", originals["pdf"])
    data = flip(buf.getvalue(), [(which * w, v) for w, v in changes])[: max(1, int(cut * len(buf.getvalue())))]
    batch = tmp_path / f"b{hashlib.sha1(data).hexdigest()[:8]}"
    batch.mkdir()
    (batch / "提交.zip").write_bytes(data)
    work = tmp_path / f"w{batch.name}"
    [sub] = Discoverer(rules, work).discover(batch)
    assert sub.files, "a damaged zip is listed, not dropped"
    for f in sub.files:
        assert (f.problem is None) == (f.real_path is not None)
        if f.real_path is not None:
            assert work in f.real_path.parents
    shutil.rmtree(batch)
    shutil.rmtree(work, ignore_errors=True)
