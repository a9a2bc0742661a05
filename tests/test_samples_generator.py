"""The sample batch (samples/) is what its generator says it is, and the files really hold the
encodings, defects and layouts that samples/expected.json promises. No LibreOffice needed."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pdfplumber
import pytest

from samples.gen.codes import is_valid_uscc, org_check_char, uscc_check_char

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
BATCH = SAMPLES / "batch"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))
SUBMISSIONS = EXPECTED["submissions"]

SPEC_RULES = {
    "FILE_UNREADABLE",
    "FILE_ENCRYPTED",
    "FILE_UNSUPPORTED",
    "FORM_MISSING",
    "LETTER_MISSING",
    "FIELD_MISSING",
    "CODE_INVALID",
    "CODE_NOT_SHANGHAI",
    "UNIT_NATURE_CODE_MISMATCH",
    "DIRECTION_NONE",
    "DIRECTION_MULTIPLE",
    "UNIT_NATURE_NONE",
    "UNIT_NATURE_MULTIPLE",
    "UNIT_NATURE_OTHER_UNSPECIFIED",
    "MOBILE_INVALID",
    "PHONE_INVALID",
    "EMAIL_INVALID",
    "ADDRESS_NOT_SHANGHAI",
    "JOINT_UNITS_TOO_MANY",
    "JOINT_UNIT_DUPLICATE",
    "SECTION_EMPTY",
    "SECTION_TOO_LONG",
    "TECH_ELEMENTS_MISSING",
    "OVERVIEW_TOPICS_MISSING",
    "DIRECTION_CONTENT_MISMATCH",
    "SCENARIO_NAME_MISMATCH",
    "LETTER_DATE_MISSING",
    "LETTER_DATE_OUT_OF_WINDOW",
    "LETTER_CLAUSES_ALTERED",
    "SEAL_MISSING",
    "DUPLICATE_SUBMISSION",
}  # SPEC §4 without OCR_UNAVAILABLE (environmental)
BROKEN_RULES = {"FILE_UNREADABLE", "FILE_ENCRYPTED"}


def _member_bytes() -> dict[str, bytes]:
    """Every file of the batch as {submission_id/path: bytes}, zips opened (GBK names decoded)."""
    out: dict[str, bytes] = {}
    for sub_id, sub in SUBMISSIONS.items():
        folder, archive = BATCH / sub_id, BATCH / f"{sub_id}.zip"
        for f in sub["files"]:
            if folder.is_dir():
                data = (folder / f["path"]).read_bytes()
            elif archive.is_file():
                with zipfile.ZipFile(archive, metadata_encoding=_zip_encoding(archive)) as zf:
                    data = zf.read(f["path"])
            else:  # loose files at the top of the batch
                data = (BATCH / f["path"]).read_bytes()
            out[f"{sub_id}/{f['path']}"] = data
    return out


def _zip_encoding(archive: Path) -> str | None:
    with zipfile.ZipFile(archive) as zf:
        return None if all(i.flag_bits & 0x800 or i.filename.isascii() for i in zf.infolist()) else "gbk"


FILES = _member_bytes()


def _kind_of(key: str) -> dict:
    sub_id, path = key.split("/", 1)
    return next(f for f in SUBMISSIONS[sub_id]["files"] if f["path"] == path)


def _readable_docx_xml() -> dict[str, str]:
    xml = {}
    for key, data in FILES.items():
        if key.endswith(".docx") and _kind_of(key)["kind"] != "unknown":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                xml[key] = zf.read("word/document.xml").decode("utf-8")
    return xml


DOCX_XML = _readable_docx_xml()
ALL_XML = "\n".join(DOCX_XML.values())


# (a) the committed expected.json is what the generator writes ---------------------------------------
def test_expected_json_is_what_the_generator_writes(tmp_path):
    out = tmp_path / "expected.json"
    subprocess.run(
        [sys.executable, str(SAMPLES / "make_samples.py"), "--expected-only", str(out)], check=True, cwd=ROOT
    )
    assert out.read_text(encoding="utf-8") == (SAMPLES / "expected.json").read_text(encoding="utf-8")


# (b) coverage of rules, tracks and clean submissions -------------------------------------------------
def test_every_spec_rule_is_planted():
    planted = {rule for sub in SUBMISSIONS.values() for rule in sub["rules"]}
    assert SPEC_RULES <= planted, sorted(SPEC_RULES - planted)


def test_batch_size_clean_samples_and_tracks():
    assert EXPECTED["generated_by"] == "samples/make_samples.py"
    assert list(SUBMISSIONS) == sorted(SUBMISSIONS)
    assert len(SUBMISSIONS) >= 14
    assert sum(1 for sub in SUBMISSIONS.values() if not sub["rules"]) >= 5
    tracks = set()
    for sub in SUBMISSIONS.values():
        track = sub["fields"].get("track")
        tracks.update(track if isinstance(track, list) else [track] if track else [])
    assert tracks == {"工业", "文旅", "医疗", "教育"}


def test_defective_samples_stay_readable():
    for sub_id, sub in SUBMISSIONS.items():
        assert len(sub["rules"]) <= 3, sub_id
        assert sub["rules"] == sorted(set(sub["rules"]))


def test_every_submission_is_in_the_batch():
    for sub_id, sub in SUBMISSIONS.items():
        located = (BATCH / sub_id).is_dir() or (BATCH / f"{sub_id}.zip").is_file()
        loose = all((BATCH / f["path"]).is_file() for f in sub["files"])
        assert located or loose, sub_id
        if loose and not located:
            assert sub_id == f"{sub['fields']['lead_unit_name']}-{sub['fields']['scenario_name']}"


def test_fields_follow_the_conventions():
    for sub_id, sub in SUBMISSIONS.items():
        fields = sub["fields"]
        if "lead_unit_code" in fields:
            assert re.fullmatch(r"[0-9A-Z]+", fields["lead_unit_code"]), sub_id
            assert len(fields["sections"]) == 7
            for unit in fields["joint_units"]:
                assert set(unit) == {"name", "nature", "strengths", "code"}
        if "letter_clauses" in fields:
            assert len(fields["letter_clauses"]) == 6
            assert not any(re.match(r"\d\.", c) for c in fields["letter_clauses"])
            assert fields["letter_date"] is None or re.fullmatch(r"2023-\d\d-\d\d", fields["letter_date"])


# (c) the checkbox encodings are really in the Word XML ----------------------------------------------
ENCODINGS = {
    "glyph checked ☑": r"<w:t[^>]*>☑",
    "glyph unchecked □": r"<w:t[^>]*>□",
    "glyph ■ before the label": r"<w:t[^>]*>■",
    "tick after the label": r"元宇宙\+[^<]*</w:t></w:r><w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>√",
    "tick right after the box": r"<w:t[^>]*>□√",
    "Wingdings 2 R": r'w:ascii="Wingdings 2"(?:(?!</w:r>).)*<w:t>R</w:t>',
    "Wingdings 2 S": r'w:ascii="Wingdings 2"(?:(?!</w:r>).)*<w:t>S</w:t>',
    "Wingdings 2 £": r'w:ascii="Wingdings 2"(?:(?!</w:r>).)*<w:t>£</w:t>',
    "sym F0FE": r'<w:sym w:font="Wingdings" w:char="F0FE"/>',
    "sym F0A8": r'<w:sym w:font="Wingdings" w:char="F0A8"/>',
    "sym F078": r'<w:sym w:font="Wingdings" w:char="F078"/>',
    "content control checked": r'<w14:checkbox><w14:checked w14:val="1"/>',
    "content control unchecked": r'<w14:checkbox><w14:checked w14:val="0"/>',
    "form field checked": r"<w:checkBox><w:sizeAuto/><w:default w:val=\"0\"/><w:checked/></w:checkBox>",
    "form field unchecked": r'<w:checkBox><w:sizeAuto/><w:default w:val="0"/><w:checked w:val="0"/></w:checkBox>',
    "form field checked by default": r'<w:checkBox><w:sizeAuto/><w:default w:val="1"/></w:checkBox>',
    "form field instruction": r"<w:instrText[^>]*> FORMCHECKBOX </w:instrText>",
    "MS Gothic ☒": r'w:ascii="MS Gothic"(?:(?!</w:r>).)*<w:t>☒</w:t>',
    "MS Gothic ☐": r'w:ascii="MS Gothic"(?:(?!</w:r>).)*<w:t>☐</w:t>',
    "Segoe UI Symbol ✔": r'w:ascii="Segoe UI Symbol"(?:(?!</w:r>).)*<w:t>✔</w:t>',
    "Wingdings þ": r'w:ascii="Wingdings" w:hAnsi="Wingdings"/>(?:(?!</w:r>).)*<w:t>þ</w:t>',
    "Wingdings ¨": r'w:ascii="Wingdings" w:hAnsi="Wingdings"/>(?:(?!</w:r>).)*<w:t>¨</w:t>',
}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_checkbox_encoding_present(name):
    pattern = re.compile(ENCODINGS[name])
    assert any(pattern.search(xml) for xml in DOCX_XML.values()), name


def test_content_controls_declare_w14_the_way_word_does():
    for key, xml in DOCX_XML.items():
        if "<w14:checkbox>" in xml:
            root = xml[: xml.index(">", xml.index("<w:document")) + 1]
            assert 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"' in root, key
            assert re.search(r'mc:Ignorable="[^"]*\bw14\b', root), key


def test_label_variants_and_east_asian_font():
    for label in ("姓  名", "单 位 性 质", ">Email<", "组织机构代码／三证合一码"):
        assert label in ALL_XML, label
    assert 'w:eastAsia="宋体"' in ALL_XML


def test_every_readable_docx_opens_and_broken_ones_do_not():
    for key, data in FILES.items():
        if not key.endswith(".docx"):
            continue
        sub_rules = set(SUBMISSIONS[key.split("/", 1)[0]]["rules"])
        if _kind_of(key)["kind"] == "unknown" and sub_rules & BROKEN_RULES:
            with pytest.raises((zipfile.BadZipFile, KeyError, ValueError)):
                docx.Document(io.BytesIO(data))
        else:
            docx.Document(io.BytesIO(data))


def test_seal_images_in_docx_letters():
    for key, data in FILES.items():
        info = _kind_of(key)
        if not key.endswith(".docx") or info["kind"] not in ("letter", "both"):
            continue
        has_seal = SUBMISSIONS[key.split("/", 1)[0]]["fields"]["letter_has_seal"]
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            media = [n for n in zf.namelist() if n.startswith("word/media/")]
        assert bool(media) == has_seal, key


def test_templates_have_the_merged_table():
    form = SAMPLES / "templates" / "附件1-上海市元宇宙重大应用场景需求征集表.docx"
    letter = SAMPLES / "templates" / "附件2-上海市元宇宙重大应用场景建设承诺书.docx"
    with zipfile.ZipFile(form) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    assert xml.count("<w:tbl>") == 1
    assert "w:gridSpan" in xml and 'w:vMerge w:val="restart"' in xml and "<w:vMerge/>" in xml
    assert len(re.findall(r"□</w:t></w:r><w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>方向\d：元宇宙\+", xml)) == 21
    text = "".join(p.text for p in docx.Document(str(letter)).paragraphs)
    assert "我单位提交了________参评。" in text and "2023年  月   日" in text


# (d) the GBK zip ----------------------------------------------------------------------------------
def test_gbk_zip_has_no_utf8_flag_and_decodes_with_gbk():
    archives = list(BATCH.glob("*.zip"))
    gbk = [a for a in archives if _zip_encoding(a) == "gbk"]
    assert gbk, "no zip with GBK member names"
    for archive in gbk:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            assert all(not i.flag_bits & 0x800 for i in infos)
            raw = [i.orig_filename.encode("cp437") for i in infos]
        names = [r.decode("gbk") for r in raw]
        assert any(not _is_utf8(r) for r in raw)
        expected_paths = {f["path"] for f in SUBMISSIONS[archive.stem]["files"]}
        assert expected_paths <= set(names)
        assert any("/" in n.rstrip("/") for n in names)  # a nested folder
    utf8 = [a for a in archives if a not in gbk]
    for archive in utf8:
        with zipfile.ZipFile(archive) as zf:
            assert all(i.flag_bits & 0x800 for i in zf.infolist() if not i.filename.isascii())


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# (e) scanned vs exported PDFs ------------------------------------------------------------------
def _pdfs(kind_filter) -> list[tuple[str, bytes]]:
    return [
        (key, data)
        for key, data in FILES.items()
        if key.endswith(".pdf") and _kind_of(key)["kind"] != "unknown" and kind_filter(key)
    ]


def test_scanned_letters_have_no_text_layer():
    scans = _pdfs(lambda key: "扫描件" in key)
    assert len(scans) >= 2
    for key, data in scans:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                assert not (page.extract_text() or "").strip(), key
                assert len(page.images) == 1, key


def test_exported_pdfs_have_text():
    exported = _pdfs(lambda key: "扫描件" not in key)
    assert len(exported) >= 4
    for key, data in exported:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            text = "".join(page.extract_text() or "" for page in pdf.pages)
        assert "需求征集表" in text or "承诺书" in text, key


def test_exported_form_pdfs_cross_pages():
    for key, data in _pdfs(lambda key: _kind_of(key)["kind"] == "form"):
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            assert len(pdf.pages) >= 3, key


def test_broken_files_are_really_broken():
    for key, data in FILES.items():
        info = _kind_of(key)
        if info["kind"] != "unknown":
            continue
        if info["format"] == "pdf":
            assert not data.startswith(b"%PDF") or b"/Encrypt" in data, key
        if info["format"] == "docx":
            assert not zipfile.is_zipfile(io.BytesIO(data)), key


PUBLISHED_CODES = json.loads((ROOT / "tests" / "fixtures" / "published_codes.json").read_text("utf-8"))


@pytest.mark.parametrize("code", PUBLISHED_CODES["uscc"])
def test_generator_check_characters_reproduce_published_codes(code):
    """The generator computes its own check characters; published codes, not the validator, say
    whether it gets them right, so the samples stay an independent check of the validator."""
    assert uscc_check_char(code[:17]) == code[17]
    assert org_check_char(code[8:16]) == code[16]
    assert is_valid_uscc(code)
    for pos in range(18):  # and it rejects every one-character change of them
        wrong = "0" if code[pos] != "0" else "1"
        assert not is_valid_uscc(code[:pos] + wrong + code[pos + 1:])


def test_generator_org_check_character_matches_the_worked_example():
    for body, check in PUBLISHED_CODES["org_worked_examples"].items():
        assert org_check_char(body) == check
