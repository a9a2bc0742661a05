"""Content decides the reader (issue #17 item 4): a DOCX named .pdf, a PDF named .docx, a .doc named
.docx, a DOCX named .zip are read by their content with FILE_TYPE_MISMATCH; a zip named .docx is one
clear FILE_UNREADABLE. Real sample files, renamed; the extractor and the CLI end to end."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.extract import detect_format, extract_file

from .conftest import SAMPLE_BATCH

DOCX_SUB = "上海臻图智造科技有限公司-白车身焊装产线数字孪生"
PDF_SUB = "上海星河演艺文化合伙企业（有限合伙）-运河古镇虚拟演艺沉浸式夜游"
DOC_SUB = "北京云镜数创科技有限公司-临港智能制造园区元宇宙运营平台"
FORM, LETTER = "附件1-需求征集表", "附件2-建设承诺书"

# (sample file, its format, the lying extension)
CASES = [
    (f"{DOCX_SUB}/{FORM}.docx", "docx", "pdf"),
    (f"{PDF_SUB}/{FORM}.pdf", "pdf", "docx"),
    (f"{DOC_SUB}/{FORM}.doc", "doc", "docx"),
    (f"{DOCX_SUB}/{LETTER}.docx", "docx", "zip"),
]


def _fields(res) -> list[tuple[str, dict]]:
    return sorted((d.kind, d.fields) for d in res.documents)


@pytest.mark.parametrize(("sample", "fmt", "ext"), CASES, ids=[f"{f}-as-{e}" for _, f, e in CASES])
def test_extract_reads_by_content(sample, fmt, ext, rules, tmp_path):
    src = SAMPLE_BATCH / sample
    disguised = tmp_path / f"{src.stem}.{ext}"
    shutil.copyfile(src, disguised)
    original = extract_file(src, src.name, rules)
    res = extract_file(disguised, disguised.name, rules)
    assert not res.problems and res.documents
    assert (res.source.format, res.source.extension) == (fmt, ext)
    assert (original.source.format, original.source.extension) == (fmt, fmt)
    assert res.source.kind == original.source.kind
    assert _fields(res) == _fields(original)


def test_detect_format_of_other_containers(tmp_path):
    (tmp_path / "empty.docx").write_bytes(b"")
    plain = tmp_path / "plain.docx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("说明.txt", "压缩包")
    xlsx = tmp_path / "book.docx"
    with zipfile.ZipFile(xlsx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    (tmp_path / "junk.pdf").write_bytes(b"hello")
    got = {p.name: detect_format(p, p.suffix) for p in tmp_path.iterdir()}
    assert got == {"empty.docx": "empty", "plain.docx": "zip", "book.docx": "ooxml", "junk.pdf": "unknown"}


def test_zip_named_docx_is_one_clear_finding(rules, tmp_path):
    fake = tmp_path / "附件1-需求征集表.docx"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.write(SAMPLE_BATCH / DOCX_SUB / f"{FORM}.docx", f"{FORM}.docx")
    res = extract_file(fake, fake.name, rules)
    assert (res.source.format, res.source.extension) == ("zip", "docx")
    (p,) = res.problems
    assert p.rule == "FILE_UNREADABLE" and "ZIP 压缩包" in p.reason and ".zip" in p.reason


# --- the CLI over a batch of renamed files -----------------------------------------------------------

@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("file-types")
    batch = root / "batch"
    for sub in (DOCX_SUB, PDF_SUB, DOC_SUB):
        shutil.copytree(SAMPLE_BATCH / sub, batch / f"原件-{sub}")

    def disguise(sid: str, sub: str, renames: dict[str, str]) -> None:
        folder = batch / sid
        folder.mkdir()
        for f in (SAMPLE_BATCH / sub).iterdir():
            shutil.copyfile(f, folder / renames.get(f.name, f.name))

    disguise(f"伪装-{DOCX_SUB}", DOCX_SUB, {f"{FORM}.docx": f"{FORM}.pdf", f"{LETTER}.docx": f"{LETTER}.zip"})
    disguise(f"伪装-{PDF_SUB}", PDF_SUB, {f"{FORM}.pdf": f"{FORM}.docx"})
    disguise(f"伪装-{DOC_SUB}", DOC_SUB, {f"{FORM}.doc": f"{FORM}.docx"})
    # a real zip named .docx beside a good letter
    zipped = batch / "压缩包改名"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / f"{FORM}.docx", "w") as zf:
        zf.write(SAMPLE_BATCH / DOCX_SUB / f"{FORM}.docx", f"{FORM}.docx")
    shutil.copyfile(SAMPLE_BATCH / DOCX_SUB / f"{LETTER}.docx", zipped / f"{LETTER}.docx")
    # a loose DOCX named .zip at the top level: a document, not a submission archive
    shutil.copyfile(SAMPLE_BATCH / DOCX_SUB / f"{FORM}.docx", batch / "散放需求征集表.zip")
    out = root / "out"
    res = CliRunner().invoke(main, ["run", str(batch), "--out", str(out), "--quiet", "--workers", "2"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text("utf-8"))
    return {s["submission_id"]: s for s in data["submissions"]}, out


def _mismatches(sub: dict) -> list[dict]:
    return [f for f in sub["findings"] if f["rule"] == "FILE_TYPE_MISMATCH"]


@pytest.mark.parametrize("sample", [DOCX_SUB, PDF_SUB, DOC_SUB])
def test_cli_reads_renamed_files_as_the_originals(cli_run, sample):
    subs, _ = cli_run
    original, disguised = subs[f"原件-{sample}"], subs[f"伪装-{sample}"]
    assert disguised["fields"] == original["fields"]
    assert not _mismatches(original)
    renamed = [f for f in disguised["files"] if f["format"] != f["extension"]]
    assert renamed
    assert sorted(f["evidence"]["file"] for f in _mismatches(disguised)) == sorted(f["path"] for f in renamed)
    for f in _mismatches(disguised):
        assert f["severity"] == "warning" and "已按实际格式读取" in f["message"]
    assert {f["rule"] for f in disguised["findings"]} - {"FILE_TYPE_MISMATCH"} <= \
        {f["rule"] for f in original["findings"]} | {"DUPLICATE_SUBMISSION", "NARRATIVE_REUSED"}
    by_path = {f["path"]: f for f in disguised["files"]}
    originals = {f["kind"]: f for f in original["files"]}
    for f in renamed:
        assert f["format"] == originals[f["kind"]]["format"] and f["sha256"] == originals[f["kind"]]["sha256"]
    assert all(f["extension"] == f["path"].rsplit(".", 1)[1] for f in by_path.values())


def test_cli_message_names_both_formats(cli_run):
    subs, _ = cli_run
    (f,) = [f for f in _mismatches(subs[f"伪装-{DOCX_SUB}"]) if f["evidence"]["file"] == f"{FORM}.pdf"]
    assert f["message"] == f"文件「{FORM}.pdf」的扩展名为 .pdf，但内容是 Word 文档（docx），已按实际格式读取"
    files = {f["path"]: f for f in subs[f"伪装-{DOCX_SUB}"]["files"]}
    assert (files[f"{LETTER}.zip"]["format"], files[f"{LETTER}.zip"]["kind"]) == ("docx", "letter")


def test_cli_zip_named_docx(cli_run):
    subs, _ = cli_run
    sub = subs["压缩包改名"]
    errors = [f for f in sub["findings"] if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["FILE_UNREADABLE"], errors
    assert "ZIP 压缩包" in errors[0]["message"] and "缺少可读取的附件1" in errors[0]["message"]
    assert not _mismatches(sub)
    (f,) = [f for f in sub["files"] if f["path"] == f"{FORM}.docx"]
    assert (f["format"], f["extension"], f["kind"]) == ("zip", "docx", "unknown")


def test_cli_loose_docx_named_zip_is_a_document(cli_run):
    subs, _ = cli_run
    (sub,) = [s for s in subs.values() if any(f["path"] == "散放需求征集表.zip" for f in s["files"])]
    (f,) = sub["files"]
    assert (f["format"], f["extension"], f["kind"]) == ("docx", "zip", "form")
    assert [m["evidence"]["file"] for m in _mismatches(sub)] == ["散放需求征集表.zip"]
    assert sub["fields"]["scenario_name"] == subs[f"原件-{DOCX_SUB}"]["fields"]["scenario_name"]


def test_cli_workbook_and_report_show_the_extension(cli_run):
    import pandas as pd

    subs, out = cli_run
    sheet = pd.read_excel(out / "consolidated.xlsx", sheet_name="文件")
    row = sheet[sheet["文件"] == f"{FORM}.pdf"].iloc[0]
    assert (row["格式"], row["扩展名"]) == ("DOCX", "pdf")
    page = next((out / "reports").glob("伪装-上海臻图*.html")).read_text("utf-8")
    assert "DOCX（扩展名 .pdf）" in page
