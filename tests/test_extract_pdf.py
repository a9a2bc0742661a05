"""The PDF backend on real PDFs exported by LibreOffice, and its geometry on hand-built data."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
from docx import Document
from PIL import Image
from pypdf import PdfReader, PdfWriter

from pipeline.extract import ExtractOptions, extract_file
from pipeline.extract import pdf as P
from pipeline.extract.pdf import chars, flow
from pipeline.extract.pdf import lines as L
from pipeline.model import Note
from pipeline.safety import Limits

try:
    from .docx_factory import BOXES, FormSpec, LetterSpec, build_form, build_letter, make_docx
    from .fixtures.pdf.build import (
        add_running_heads,
        encrypt_pdf,
        join_pdfs,
        scan_pdf,
        soffice_to_pdf,
        widget_pdf,
    )
except ImportError:  # tests/ run as a plain directory
    from docx_factory import BOXES, FormSpec, LetterSpec, build_form, build_letter, make_docx
    from fixtures.pdf.build import (
        add_running_heads,
        encrypt_pdf,
        join_pdfs,
        scan_pdf,
        soffice_to_pdf,
        widget_pdf,
    )

HEADER = "上海市元宇宙重大应用场景需求征集表（申报材料）"
OVERVIEW = [
    f"（{i}）本项目围绕汽车总装产线建设数字孪生巡检平台，采用5G与AR/VR技术实现虚实融合，"
    f"通过 edge computing 与云渲染降低终端门槛，第{i}阶段完成设备数据接入、三维建模和远程协同等建设内容。"
    for i in range(1, 31)
]
CHECKBOX_KEYS = ("direction", "track", "unit_nature", "unit_nature_other")


def _long_form_docx(path: Path) -> Path:
    """The form with a narrative running over three pages, a page header and page numbers."""
    spec = FormSpec(directions=["元宇宙+工厂"], natures=["国有企业"])
    spec.sections = dict(
        spec.sections, scenario_overview=OVERVIEW, funding=[OVERVIEW[0][:60], OVERVIEW[1][:90]]
    )
    doc = Document()
    doc.styles["Normal"].font.name = "SimSun"
    add_running_heads(doc, HEADER)
    build_form(doc, spec)
    doc.add_paragraph()
    doc.save(path)
    return path


def _letter_docx(path: Path, seal: str | None) -> Path:
    doc = Document()
    doc.styles["Normal"].font.name = "SimSun"
    build_letter(doc, LetterSpec(seal=seal))
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """DOCX files (one form per checkbox encoding, a long form, letters) and their PDF exports."""
    work = tmp_path_factory.mktemp("pdf-fixtures")
    docx: dict[str, Path] = {}
    for box in BOXES:
        spec = FormSpec(
            box=box, directions=["元宇宙+远程医疗"], natures=["其他"], nature_other="新型研发机构"
        )
        docx[f"form-{box}"] = make_docx(work / f"form-{box}.docx", form=spec)
    docx["long"] = _long_form_docx(work / "long.docx")
    for seal in ("inline", "floating", None):
        docx[f"letter-{seal}"] = _letter_docx(work / f"letter-{seal}.docx", seal)
    docx["both"] = make_docx(work / "both.docx", form=FormSpec(), letter=LetterSpec(seal=None))
    pdfs = soffice_to_pdf(list(docx.values()), work)
    return {name: (src, pdf) for (name, src), pdf in zip(docx.items(), pdfs, strict=True)}


@pytest.fixture(scope="module")
def read(rules):
    def run(path: Path, **opts):
        return extract_file(path, path.name, rules, ExtractOptions(**opts) if opts else None)

    return run


def _fields(res) -> dict[str, dict]:
    return {d.kind: d.fields for d in res.documents}


def _undecidable(res) -> bool:
    return any("无法判断是否勾选" in n.message for n in res.notes)


# --- PDF fields equal the DOCX's ------------------------------------------------------------------


@pytest.mark.parametrize("box", BOXES)
def test_form_pdf_equals_docx(built, read, box):
    """Every checkbox encoding survives the PDF export (symbol fonts, private-use codes, drawn boxes).

    A box LibreOffice printed as its fallback font's missing-glyph box is the same picture ticked
    or not: then the field is empty with a note, never a guess.
    """
    src, pdf = built[f"form-{box}"]
    want, got = read(src), read(pdf)
    assert not got.problems
    assert want.source.kind == got.source.kind == "form"
    for key, value in _fields(want)["form"].items():
        mine = _fields(got)["form"].get(key)
        if mine != value and key in CHECKBOX_KEYS and _undecidable(got):
            assert mine in (None, []), f"{box} [{key}] guessed {mine!r}"
            continue
        assert mine == value, f"{box} [{key}]: PDF {mine!r} ≠ DOCX {value!r}"


def test_form_values_have_page_and_cell(built, read):
    res = read(built["form-glyph"][1])
    prov = res.documents[0].provenance
    for key in ("lead_unit_name", "scenario_name", "direction", "leader_email"):
        p = prov[key]
        assert p.page == 1 and p.bbox is not None and p.table == 0 and p.row is not None, (key, p)


def test_long_narrative_over_pages_reads_whole(built, read):
    """A narrative cell cut by two page breaks comes back as one cell, paragraphs intact and in
    order, without the page header, the 第 x 页 共 y 页 footers or anything else from the margins."""
    src, pdf = built["long"]
    want, got = read(src), read(pdf)
    assert got.source.pages >= 3
    assert _fields(got)["form"] == _fields(want)["form"]
    assert _fields(got)["form"]["sections"]["scenario_overview"] == "\n".join(OVERVIEW)
    layout = P.read_pdf(pdf, pdf.name, ExtractOptions())
    cells = [b for b in layout.blocks if OVERVIEW[0] in b.text]
    assert len(cells) == 1 and cells[0].kind == "cell" and OVERVIEW[-1] in cells[0].text
    assert not any(HEADER in b.text or "共" in b.text and "页" in b.text for b in layout.blocks)


def test_letter_and_form_in_one_file(built, read):
    src, pdf = built["both"]
    want, got = read(src), read(pdf)
    assert got.source.kind == "both"
    assert _fields(got) == _fields(want)


@pytest.mark.parametrize("seal", ["inline", "floating"])
def test_letter_seal_picture(built, read, seal):
    src, pdf = built[f"letter-{seal}"]
    res = read(pdf)
    assert _fields(res) == _fields(read(src))
    assert _fields(res)["letter"]["letter_has_seal"] is True
    img = next(i for i in res.documents[0].images if i.looks_like_seal)
    assert img.prov.page == 1 and img.near_seal_label and img.red_ratio > 0.04
    crop = Image.open(io.BytesIO(base64.b64decode(img.crop_png_b64)))
    assert max(crop.size) <= 160 and len(img.crop_png_b64) < 20_000


def test_letter_without_seal(built, read):
    res = read(built["letter-None"][1])
    assert _fields(res)["letter"]["letter_has_seal"] is False
    assert not any(i.looks_like_seal for d in res.documents for i in d.images)


def test_fillable_form_checkboxes(tmp_path):
    """PDF form fields: the widget's appearance state says ticked (/Yes) or not (/Off)."""
    pdf = widget_pdf(tmp_path / "fillable.pdf", [("Option A", True), ("Option B", False), ("Option C", True)])
    layout = P.read_pdf(pdf, pdf.name, ExtractOptions())
    assert [b.text for b in layout.blocks] == ["☑ Option A", "☐ Option B", "☑ Option C"]


# --- Problems, within the time limit ---------------------------------------------------------------


def _timed(read, path: Path, **opts):
    started = time.perf_counter()
    res = read(path, **opts)
    return res, time.perf_counter() - started


def test_encrypted_with_user_password(built, read, tmp_path):
    pdf = encrypt_pdf(built["letter-None"][1], tmp_path / "locked.pdf", "s3cret", "owner")
    res, seconds = _timed(read, pdf)
    assert [p.rule for p in res.problems] == ["FILE_ENCRYPTED"] and not res.documents
    assert seconds < 10


def test_owner_password_only_reads_normally(built, read, tmp_path):
    """Viewers open a PDF whose only password is the owner's (printing/copying rights): so do we."""
    pdf = encrypt_pdf(built["letter-None"][1], tmp_path / "restricted.pdf", "", "owner")
    res = read(pdf)
    assert not res.problems
    assert _fields(res)["letter"] == _fields(read(built["letter-None"][1]))["letter"]


@pytest.mark.parametrize("cut", [0.05, 0.5, 0.97])
def test_truncated(built, read, tmp_path, cut):
    data = built["long"][1].read_bytes()
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes(data[: int(len(data) * cut)])
    res, seconds = _timed(read, pdf)
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"] and not res.documents
    assert seconds < 10


@pytest.mark.parametrize("content", [b"not a pdf at all\n" * 20, b"%PDF-1.7\n" + bytes(range(256)) * 40])
def test_not_really_a_pdf(read, tmp_path, content):
    pdf = tmp_path / "补充材料.pdf"
    pdf.write_bytes(content)
    res, seconds = _timed(read, pdf)
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"] and seconds < 10


def test_too_many_pages(built, read):
    res = read(built["long"][1], limits=Limits(max_pdf_pages=2))
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"]
    assert "超过上限 2 页" in res.problems[0].reason


def test_time_limit(built, read):
    res, seconds = _timed(read, built["long"][1], limits=Limits(file_timeout_s=0))
    assert [p.rule for p in res.problems] == ["FILE_UNREADABLE"] and "超时" in res.problems[0].reason
    assert seconds < 5


def test_scan_without_ocr(built, read, tmp_path):
    scan = scan_pdf(built["letter-None"][1], tmp_path / "scan.pdf")
    res = read(scan, ocr=False)
    assert [p.rule for p in res.problems] == ["OCR_UNAVAILABLE"] and not res.documents


def test_text_and_scanned_pages_without_ocr(built, read, tmp_path):
    """Text pages are read; the scanned page is reported, with its number."""
    form = built["form-glyph"][1]
    scan = scan_pdf(built["letter-None"][1], tmp_path / "scan.pdf")
    pages = len(PdfReader(form).pages)
    mixed = join_pdfs([*((form, i) for i in range(pages)), (scan, 0)], tmp_path / "mixed.pdf")
    res = read(mixed, ocr=False)
    assert [p.rule for p in res.problems] == ["OCR_UNAVAILABLE"]
    assert f"第 {pages + 1} 页" in res.problems[0].reason
    assert _fields(res)["form"]["lead_unit_name"] == FormSpec().lead_unit_name


def test_blank_page_is_not_a_scan(built, read, tmp_path):
    """A page with no text and no picture is blank: nothing to OCR, nothing to report."""
    writer = PdfWriter(clone_from=PdfReader(built["letter-None"][1]))
    writer.add_blank_page()
    pdf = tmp_path / "with-blank.pdf"
    with open(pdf, "wb") as fh:
        writer.write(fh)
    res = read(pdf, ocr=False)
    assert not res.problems and not res.source.ocr and res.source.kind == "letter"


# --- Geometry on hand-built data ------------------------------------------------------------------


def _line(text, x0, top, x1, size=10.0, page=1, first=None):
    return L.Line(text, x0, top, x1, top + size, size, first if first is not None else size, page)


def test_paragraphs_by_fit_indent_and_gap():
    lines = [
        _line("第一段第一行写满了整行文字直到右边", 20, 0, 200),
        _line("第一段最后一行较短", 0, 14, 90),
        _line("第二段首行缩进两字写满了整行文字", 20, 28, 199),
        _line("第二段第二行也写满了整行的文字内容", 0, 42, 200),
        _line("第二段结束", 0, 56, 50),
        _line("隔了一个空行的第三段", 0, 90, 100),
    ]
    paras = L.paragraphs(lines, 0, 200)
    assert [len(p) for p in paras] == [2, 3, 1]


def test_line_ending_early_for_an_unbreakable_word_does_not_end_the_paragraph():
    """系、ISO27001 cannot be split, so the line above stopped short: still one paragraph."""
    prev = _line("公司已通过ISO9001质量管理体", 0, 0, 150)
    nxt = _line("系、ISO27001信息安全管理体系", 0, 14, 190, first=70)
    assert not L.breaks(prev, nxt, None, 0, 200)
    assert L.breaks(prev, _line("下一段", 0, 14, 30), None, 0, 200)


def test_centred_wrapped_label_is_one_paragraph():
    lines = [_line("牵头单位名", 10, 0, 60), _line("称", 30, 14, 40)]
    assert len(L.paragraphs(lines, 5, 65)) == 1


def test_join_lines_spaces_only_between_latin_words():
    assert (
        L.join_lines([_line("采用 edge", 0, 0, 100), _line("computing 技术", 0, 14, 80)])
        == "采用 edge computing 技术"
    )
    assert L.join_lines([_line("数字孪", 0, 0, 100), _line("生平台", 0, 14, 80)]) == "数字孪生平台"
    assert (
        L.join_lines([_line("zhangsan@exa", 0, 0, 100), _line("mple.com", 0, 14, 80)])
        == "zhangsan@example.com"
    )


def _char(text, x0, font="ABCDEF+SimSun", size=10.0, top=0.0):
    return {
        "text": text,
        "x0": x0,
        "x1": x0 + size,
        "top": top,
        "bottom": top + size,
        "size": size,
        "fontname": font,
    }


@pytest.mark.parametrize(
    ("text", "font", "want"),
    [
        ("R", "ABCDEF+Wingdings2", "☑"),
        ("£", "Wingdings 2", "☐"),
        ("\uf0fe", "EAAAAA+OpenSymbol", "☑"),
        ("\uf0a8", "EAAAAA+OpenSymbol", "☐"),
        ("\uf078", "Wingdings-Regular", "☑"),
        ("(cid:254)", "Wingdings-Regular", "☑"),
        ("R", "ABCDEF+SimSun", "R"),
        ("√", "ABCDEF+SymbolMT", "√"),
        ("α", "ABCDEF+SymbolMT", "α"),
        ("✓", "ZapfDingbats", "✓"),
    ],
)
def test_symbol_font_chars(text, font, want):
    notes: list[Note] = []
    out = chars.decode_chars([_char(text, 0, font)], 1, notes, "f.pdf")
    assert [c["text"] for c in out] == [want] and not notes


@pytest.mark.parametrize(
    ("text", "font"),
    [("\uf0fe", "EAAAAA+DejaVuSans"), ("\uf021", "Wingdings-Regular"), ("z", "ABCDEF+Webdings")],
)
def test_undecidable_symbols_are_noted_not_guessed(text, font):
    notes: list[Note] = []
    out = chars.decode_chars([_char(text, 0, font), _char("国", 10), _char(text, 20, font)], 3, notes, "f.pdf")
    assert [c["text"] for c in out] == ["国"]
    assert len(notes) == 1 and "第3页" in notes[0].message and notes[0].prov.page == 3


@pytest.mark.parametrize(
    ("text", "want", "substituted"),
    [
        ("£国家机关  R事业单位", "☐国家机关  ☑事业单位", True),
        ("¨方向1：元宇宙+产线\nþ方向2：元宇宙+工厂", "☐方向1：元宇宙+产线\n☑方向2：元宇宙+工厂", True),
        ("采用R语言和AR/VR技术", "采用R语言和AR/VR技术", False),
        ("R语言", "R语言", False),
        ("□国家机关 ☑事业单位", "☐国家机关 ☑事业单位", False),
    ],
)
def test_symbol_codes_printed_in_a_fallback_font(text, want, substituted):
    assert flow._canonical(text) == (want, substituted)


def test_running_heads_and_page_numbers_removed():
    pages = []
    for n in range(1, 4):
        p = P.PageData(n, 595, 842)
        p.lines = [
            _line(HEADER, 100, 40, 400),
            _line(f"正文第{n}页的内容", 70, 300, 500),
            _line(f"第 {n} 页 共 3 页", 250, 800, 330),
        ]
        pages.append(p)
    single = P.PageData(1, 595, 842)
    single.lines = [_line("正文", 70, 300, 500), _line("- 1 -", 280, 800, 310)]
    P.strip_running_lines(pages)
    P.strip_running_lines([single])
    assert [[ln.text for ln in p.lines] for p in pages] == [[f"正文第{n}页的内容"] for n in (1, 2, 3)]
    assert [ln.text for ln in single.lines] == ["正文"]
