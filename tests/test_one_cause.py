"""One cause, one finding (issue #17 item 5), on real files through the engine: an unreadable or
encrypted file that was the submission's only form or letter is one error that says both, with no
FORM_MISSING / LETTER_MISSING beside it."""

from __future__ import annotations

import shutil

import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pipeline.engine import RunOptions, run_batch

from .conftest import SAMPLE_BATCH

SAMPLE = SAMPLE_BATCH / "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
FORM, LETTER = "附件1-需求征集表.docx", "附件2-建设承诺书.docx"
FORM_NAME = "附件1《上海市元宇宙重大应用场景需求征集表》"
LETTER_NAME = "附件2《上海市元宇宙重大应用场景建设承诺书》"


def _truncated(src, dest) -> None:
    data = src.read_bytes()
    dest.write_bytes(data[: len(data) // 2])


@pytest.fixture(scope="module")
def subs(tmp_path_factory, rules):
    batch = tmp_path_factory.mktemp("one-cause") / "batch"
    cases = {name: batch / name for name in ("截断的附件1", "加密的附件1", "两份都损坏", "唯一文件损坏")}
    for folder in cases.values():
        folder.mkdir(parents=True)
    _truncated(SAMPLE / FORM, cases["截断的附件1"] / FORM)
    shutil.copyfile(SAMPLE / LETTER, cases["截断的附件1"] / LETTER)
    with open(SAMPLE / FORM, "rb") as fin, open(cases["加密的附件1"] / FORM, "wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    shutil.copyfile(SAMPLE / LETTER, cases["加密的附件1"] / LETTER)
    _truncated(SAMPLE / FORM, cases["两份都损坏"] / FORM)
    _truncated(SAMPLE / LETTER, cases["两份都损坏"] / LETTER)
    _truncated(SAMPLE / FORM, cases["唯一文件损坏"] / "申报材料.docx")
    result = run_batch(batch, rules, RunOptions(workers=2))
    return {s.submission_id: s for s in result.submissions}


def _errors(sub):
    return [f for f in sub.findings if f.severity == "error"]


@pytest.mark.parametrize(("sid", "rule"), [("截断的附件1", "FILE_UNREADABLE"), ("加密的附件1", "FILE_ENCRYPTED")])
def test_an_unreadable_form_is_one_error_saying_both(subs, sid, rule):
    sub = subs[sid]
    (f,) = _errors(sub)
    assert f.rule == rule and f.evidence.file == FORM
    assert f"文件「{FORM}」" in f.message and f"缺少可读取的{FORM_NAME}" in f.message
    assert LETTER_NAME not in f.message
    assert not {"FORM_MISSING", "LETTER_MISSING"} & {x.rule for x in sub.findings}
    assert sub.status == "fail"


def test_encrypted_form_is_named_for_its_container(subs):
    (src,) = [f for f in subs["加密的附件1"].files if f.path == FORM]
    assert (src.format, src.extension) == ("encrypted-ooxml", "docx")
    assert not [f for f in subs["加密的附件1"].findings if f.rule == "FILE_TYPE_MISMATCH"]


def test_two_unreadable_files_each_say_their_own(subs):
    errors = {f.evidence.file: f for f in _errors(subs["两份都损坏"])}
    assert set(errors) == {FORM, LETTER} and {f.rule for f in errors.values()} == {"FILE_UNREADABLE"}
    assert FORM_NAME in errors[FORM].message and LETTER_NAME not in errors[FORM].message
    assert LETTER_NAME in errors[LETTER].message and FORM_NAME not in errors[LETTER].message


def test_the_only_file_unreadable_says_both(subs):
    (f,) = _errors(subs["唯一文件损坏"])
    assert f.rule == "FILE_UNREADABLE" and f"缺少可读取的{FORM_NAME}和{LETTER_NAME}" in f.message
