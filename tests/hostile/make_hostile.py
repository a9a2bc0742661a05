"""Build the hostile corpus: malformed and malicious inputs the batch checker must survive.

Nothing big is committed: every case is generated (in well under a minute, a few MB on disk, the
2 GB file sparse) into a folder the caller chooses, usually a pytest tmp dir:

    python tests/hostile/make_hostile.py /tmp/hostile-batch

Each top-level entry is one submission (a loose file, a zip or a folder), so the run must report
at least one finding per entry. `CASES` says what each entry attacks and which finding proves it
was handled; `make_corpus` returns the entries it wrote.
"""

from __future__ import annotations

import io
import stat
import sys
import zipfile
import zlib
from pathlib import Path

from docx import Document

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MB = 2**20

# entry name -> (what it attacks, rule ids of which at least one must be reported, text the finding must contain or "")
CASES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "zip_bomb.docx": ("DOCX whose document.xml inflates from ~0.2 MB to 128 MB", ("FILE_UNREADABLE",), "压缩炸弹"),
    "bomb_archive.zip": ("submission zip whose member inflates 1000:1", ("FILE_UNREADABLE",), "压缩炸弹"),
    "xxe.docx": ("XML external entity reading /etc/passwd", ("FILE_UNREADABLE",), "实体"),
    "billion_laughs.docx": ("nested entity expansion", ("FILE_UNREADABLE",), "实体"),
    "deep_nesting.docx": ("XML nested 100,000 elements deep", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "many_runs.docx": ("100,000 one-character runs", ("FORM_MISSING", "FILE_UNREADABLE"), ""),
    "zip_slip.zip": ("members named ../, /abs and C:\\ paths", ("FILE_UNREADABLE",), "路径穿越"),
    "nested_zip.zip": ("a zip inside a zip inside a zip", ("FILE_UNSUPPORTED",), "嵌套"),
    "symlink.zip": ("a member that is a symlink to /etc/passwd", ("FILE_UNSUPPORTED",), "符号链接"),
    "huge_image.pdf": ("an image declaring 60000×60000 pixels", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "cyclic.pdf": ("a page tree that contains itself, and a wrong xref", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "loop_content.pdf": ("a form XObject that draws itself", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "slow_content.pdf": ("a 40 MB content stream of text operators, 60 KB on disk", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "empty.pdf": ("a 0-byte file", ("FILE_UNREADABLE",), ""),
    "sparse_2gb.pdf": ("a 2 GB (sparse) file", ("FILE_UNREADABLE",), "超过上限"),
    "bad\x07name\x1b[31m\u202eexcod.docx": ("control characters, an ANSI escape and a right-to-left override in a name",
                                            ("FORM_MISSING",), ""),
    "long_names.zip": ("a member whose name is 300 characters long, and ../ in a name", ("FILE_UNREADABLE", "FORM_MISSING"), ""),
    "L" * 200: ("a folder with a 200-character name holding a stray file", ("FILE_UNSUPPORTED", "FORM_MISSING"), ""),
    "hostile_text.docx": ("applicant text with HTML/JS, spreadsheet formulas, RTL overrides and a 100,000-character field",
                          ("SECTION_TOO_LONG", "FIELD_MISSING", "FORM_MISSING", "LETTER_MISSING"), ""),
}

HOSTILE_TEXT = {
    "scenario_name": "<script>alert('xss')</script>场景\u202eＴＮＥＭＥＧＡＭ",
    "lead_unit_name": '=HYPERLINK("http://evil.example/","点此")',
    "address": "+cmd|' /C calc'!A0 上海市浦东新区",
    "leader_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "contact_name": "-2+3+cmd|' /C calc'!A0",
    "contact_email": "<img src=x onerror=alert(1)>@example.com",
}


# ---------------------------------------------------------------------------------------------
# DOCX helpers


def _plain_docx(text: str = "这是一份普通文档。") -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2023, 11, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 9  # noqa: SLF001 - the only way on Python 3.11
    return info


def _replace_part(docx: bytes, name: str, writer) -> bytes:
    """A copy of `docx` with part `name` produced by `writer(fh)` (streamed, so a bomb is never in memory)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == name:
                with dst.open(_deflated(name), "w", force_zip64=True) as fh:
                    writer(fh)
            else:
                dst.writestr(info, src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _document_xml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}<w:sectPr/></w:body></w:document>').encode()


def zip_bomb_docx() -> bytes:
    def write(fh):
        head = _document_xml("<w:p><w:r><w:t>", "").split(b"<w:t>")[0] + b"<w:t>"
        fh.write(head)
        chunk = b" " * MB
        for _ in range(128):
            fh.write(chunk)
        fh.write(b"</w:t></w:r></w:p><w:sectPr/></w:body></w:document>")
    return _replace_part(_plain_docx(), "word/document.xml", write)


def xxe_docx() -> bytes:
    doctype = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    xml = _document_xml("<w:p><w:r><w:t>需求征集表 &xxe;</w:t></w:r></w:p>", doctype)
    return _replace_part(_plain_docx(), "word/document.xml", lambda fh: fh.write(xml))


def billion_laughs_docx() -> bytes:
    ents = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    doctype = f"<!DOCTYPE w:document [{''.join(ents)}]>\n"
    xml = _document_xml("<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>", doctype)
    return _replace_part(_plain_docx(), "word/document.xml", lambda fh: fh.write(xml))


def deep_nesting_docx(depth: int = 100_000) -> bytes:
    body = "<w:sdt><w:sdtContent>" * depth + "<w:p/>" + "</w:sdtContent></w:sdt>" * depth
    xml = _document_xml(body)
    return _replace_part(_plain_docx(), "word/document.xml", lambda fh: fh.write(xml))


def many_runs_docx(runs: int = 100_000) -> bytes:
    body = "<w:p>" + "".join(f"<w:r><w:t>{i % 10}</w:t></w:r>" for i in range(runs)) + "</w:p>"
    xml = _document_xml(body)
    return _replace_part(_plain_docx(), "word/document.xml", lambda fh: fh.write(xml))


def hostile_text_docx() -> bytes:
    """A 需求征集表 whose applicant text is hostile; built with the sample generator so it reads as a form."""
    repo = Path(__file__).resolve().parents[2]
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    from samples.gen import documents
    from samples.gen.model import FormData, Person

    rtl = "本项目\u202e。成完已\u202c按期推进"
    sections = {key: [f"{rtl}<b onmouseover=alert(1)>建设内容</b>=1+1"] for key in (
        "lead_unit_intro", "scenario_overview", "existing_foundation", "requirement_analysis", "timeline",
        "stage_goals", "funding")}
    sections["scenario_overview"] = ["数字孪生" * 25_000]  # 100,000 characters
    form = FormData(
        lead_unit_name=HOSTILE_TEXT["lead_unit_name"], lead_unit_code="91310000MA1FL0XX0X",
        scenario_name=HOSTILE_TEXT["scenario_name"], directions=["元宇宙+产线"], address=HOSTILE_TEXT["address"],
        leader=Person(HOSTILE_TEXT["leader_name"], "总经理", "021-12345678", "13800000000", None, "a@example.com"),
        contact=Person(HOSTILE_TEXT["contact_name"], "主管", "021-12345678", "13900000000", None, HOSTILE_TEXT["contact_email"]),
        unit_natures=["民营企业"], unit_nature_other=None, joint_units=[], sections=sections,
    )
    doc = documents.new_document()
    documents.build_form(doc, form)
    return documents.docx_bytes(doc)


# ---------------------------------------------------------------------------------------------
# PDF helpers


def _pdf(objects: list[bytes], root: int = 1, broken_xref: bool = False) -> bytes:
    """A PDF from numbered object bodies (object i+1 = objects[i]) with a correct or a wrong xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{(off * 7 + 13) % max(len(out), 1) if broken_xref else off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += " /Filter /FlateDecode"
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def huge_image_pdf() -> bytes:
    img = _stream(b"\x00" * 1024, " /Type /XObject /Subtype /Image /Width 60000 /Height 60000"
                                  " /ColorSpace /DeviceRGB /BitsPerComponent 8")
    content = _stream(b"q 500 0 0 500 50 50 cm /Im0 Do Q BT /F1 12 Tf 50 700 Td (huge image) Tj ET")
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> /Font << /F1 6 0 R >> >> >>",
        content, img, _FONT,
    ])


def cyclic_pdf() -> bytes:
    content = _stream(b"BT /F1 12 Tf 50 700 Td (cycle) Tj ET")
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 /Parent 2 0 R >>",  # the page tree contains itself
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        content, _FONT,
    ], broken_xref=True)


def loop_content_pdf() -> bytes:
    form = _stream(b"q 0.9 0 0 0.9 1 1 cm /Fm0 Do Q BT /F1 12 Tf 0 0 Td (loop) Tj ET",
                   " /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /Fm0 5 0 R >>"
                   " /Font << /F1 6 0 R >> >>")
    content = _stream(b"/Fm0 Do")
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Fm0 5 0 R >> >> >>",
        content, form, _FONT,
    ])


def slow_content_pdf(ops: int = 1_000_000) -> bytes:
    """Legal but expensive: a million text-showing operators compress to a few tens of KB."""
    body = b"BT /F1 1 Tf " + b"1 0 Td (x) Tj " * ops + b"ET"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(body), _FONT,
    ])


# ---------------------------------------------------------------------------------------------
# Zip helpers


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


def bomb_archive_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open(_deflated("申报书.pdf"), "w", force_zip64=True) as fh:
            chunk = b"\0" * MB
            for _ in range(128):
                fh.write(chunk)
    return out.getvalue()


def zip_slip_zip() -> bytes:
    doc = _plain_docx("路径穿越")
    return _zip([("../../escaped.docx", doc), ("/tmp/absolute.docx", doc), ("..\\..\\windows.docx", doc),
                 ("C:\\Windows\\drive.docx", doc), ("ok/说明.txt", b"ok")])


def nested_zip_zip() -> bytes:
    inner = _zip([("附件1.docx", _plain_docx("最内层"))])
    middle = _zip([("inner.zip", inner)])
    return _zip([("middle.zip", middle)])


def symlink_zip() -> bytes:
    info = zipfile.ZipInfo("附件1.docx")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip([(info, b"/etc/passwd"), ("说明.txt", b"x")])


def long_names_zip() -> bytes:
    doc = _plain_docx("长文件名")
    return _zip([("长" * 300 + ".docx", doc), ("a/../../b" + "x" * 50 + ".docx", doc)])


# ---------------------------------------------------------------------------------------------


BUILDERS = {
    "zip_bomb.docx": zip_bomb_docx,
    "bomb_archive.zip": bomb_archive_zip,
    "xxe.docx": xxe_docx,
    "billion_laughs.docx": billion_laughs_docx,
    "deep_nesting.docx": deep_nesting_docx,
    "many_runs.docx": many_runs_docx,
    "zip_slip.zip": zip_slip_zip,
    "nested_zip.zip": nested_zip_zip,
    "symlink.zip": symlink_zip,
    "huge_image.pdf": huge_image_pdf,
    "cyclic.pdf": cyclic_pdf,
    "loop_content.pdf": loop_content_pdf,
    "slow_content.pdf": slow_content_pdf,
    "empty.pdf": lambda: b"",
    "bad\x07name\x1b[31m\u202eexcod.docx": lambda: _plain_docx("名字里有控制字符"),
    "long_names.zip": long_names_zip,
    "hostile_text.docx": hostile_text_docx,
}


def make_corpus(dest: Path, sparse_gb: int = 2) -> list[str]:
    """Write every case into `dest`; returns the top-level entry names written."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        (dest / name).write_bytes(build())
    with open(dest / "sparse_2gb.pdf", "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(sparse_gb * 1024 * MB)
    folder = dest / ("L" * 200)
    folder.mkdir(exist_ok=True)
    (folder / "readme.txt").write_text("stray", "utf-8")
    assert set(CASES) == set(BUILDERS) | {"sparse_2gb.pdf", "L" * 200}
    return sorted(CASES)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-batch")
    for entry in make_corpus(target):
        print(repr(entry), "—", CASES[entry][0])
