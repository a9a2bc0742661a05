"""Scanned pages: OCR of real renders (letters with and without a seal, a form page with ticked
boxes), and the image geometry (skew, ruling lines, drawn checkboxes) on hand-drawn images."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from docx import Document
from PIL import Image, ImageDraw

from pipeline.engine import RunOptions, run_batch
from pipeline.extract import ExtractOptions, extract_file, ocr, ocrfix
from pipeline.extract.pdf import read_pdf

try:
    from .docx_factory import FormSpec, LetterSpec, build_letter, make_docx
    from .fixtures.pdf.build import _font, join_pdfs, scan_pdf, soffice_to_pdf
except ImportError:  # tests/ run as a plain directory
    from docx_factory import FormSpec, LetterSpec, build_letter, make_docx
    from fixtures.pdf.build import _font, join_pdfs, scan_pdf, soffice_to_pdf

LETTER = LetterSpec(
    scenario_name="《苏州河滨水空间数字孪生导览》",
    contact="杨静",
    phone="15945801518",
    date="二〇二三年十一月十三日",
    seal=None,
)
FORM = FormSpec(directions=["元宇宙+智慧旅游"], natures=["民营企业"])


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """Scans of a LibreOffice-exported letter (stamped and not) and of the form's first page."""
    work = tmp_path_factory.mktemp("scans")
    doc = Document()
    doc.styles["Normal"].font.name = "SimSun"
    build_letter(doc, LETTER)
    doc.save(work / "letter.docx")
    form = make_docx(work / "form.docx", form=FORM)
    letter_pdf, form_pdf = soffice_to_pdf([work / "letter.docx", form], work)
    return {
        "stamped": scan_pdf(letter_pdf, work / "stamped.pdf", seal_near="单位盖章", seed=3),
        "unstamped": scan_pdf(letter_pdf, work / "unstamped.pdf", seed=4),
        "form": scan_pdf(form_pdf, work / "form-scan.pdf", pages=[0], seed=5),
        "form_pdf": form_pdf,
        "form_docx": form,
        "letter_pdf": letter_pdf,
    }


def _letter(res):
    return next(d for d in res.documents if d.kind == "letter").fields


def test_scanned_letter_with_seal(scans, rules):
    res = extract_file(scans["stamped"], "附件2-建设承诺书（盖章扫描件）.pdf", rules)
    assert not res.problems and res.source.ocr and res.source.kind == "letter"
    f = _letter(res)
    assert f["letter_scenario_name"] == "苏州河滨水空间数字孪生导览"
    assert f["letter_date"] == "2023-11-13"
    assert f["letter_has_seal"] is True
    assert f["letter_contact"] == "杨静" and f["letter_contact_phone"] == "15945801518"
    assert len(f["letter_clauses"]) == 6
    seal = next(i for i in res.documents[0].images if i.looks_like_seal)
    assert seal.near_seal_label and seal.crop_png_b64


@pytest.mark.parametrize("det_side", [2000, 1280])
def test_the_engine_as_driven_reads_what_rapidocr_reads(scans, monkeypatch, det_side):
    """The engine as the pipeline drives it (`ocr._read`), with lines found on the page as the
    recogniser reads it (2000, the default) or on a smaller copy (`ocr.DET_SIDE`), reads the same
    lines, in the page's pixels, as rapidocr's own call."""
    import difflib

    import pypdfium2 as pdfium

    from pipeline.extract.pdf.lines import OCR_DPI

    monkeypatch.setattr(ocr, "DET_SIDE", det_side)
    doc = pdfium.PdfDocument(str(scans["unstamped"]))
    page = np.asarray(doc[0].render(scale=OCR_DPI / 72).to_pil().convert("RGB"))
    doc.close()
    engine = ocr.get_engine()
    ours = ocr._read(engine, page)
    theirs, _ = engine(page, return_word_box=True)
    text = lambda lines: "".join(str(line[1]) for line in lines)  # noqa: E731
    assert len(text(ours)) > 300
    similar = difflib.SequenceMatcher(None, text(ours), text(theirs), autojunk=False).ratio()
    assert similar == 1.0 if det_side == ocr.REC_SIDE else similar > 0.98
    centres = np.array([np.asarray(line[0], dtype=float).mean(axis=0) for line in theirs])
    h, w = page.shape[:2]
    for quad, line_text, *_ in ours:
        q = np.asarray(quad, dtype=float)
        assert (q >= 0).all() and (q[:, 0] <= w).all() and (q[:, 1] <= h).all()
        nearest = np.hypot(*(centres - q.mean(axis=0)).T).min()
        assert nearest < 25, (line_text, nearest)  # the same line, where rapidocr found it


def test_scanned_letter_layout_says_ocr(scans):
    layout = read_pdf(scans["stamped"], "scan.pdf", ExtractOptions(seal=(0.04, 60), seal_labels=("盖章",)))
    assert layout.ocr and 0.5 < layout.ocr_confidence <= 1
    assert layout.blocks and all(
        b.prov.ocr and b.prov.confidence is not None and b.prov.page == 1 for b in layout.blocks
    )
    intro = next(b for b in layout.blocks if "提交了" in b.text)
    assert intro.kind == "paragraph" and intro.text.endswith("参评。")  # three printed lines, one paragraph


def test_scanned_letter_without_seal_is_reported(scans, rules, tmp_path):
    res = extract_file(scans["unstamped"], "附件2-建设承诺书（扫描件）.pdf", rules)
    assert _letter(res)["letter_has_seal"] is False
    batch = tmp_path / "batch" / "上海万象云景数字科技有限公司-苏州河滨水空间数字孪生导览"
    batch.mkdir(parents=True)
    shutil.copyfile(scans["unstamped"], batch / "附件2-建设承诺书（扫描件）.pdf")
    result = run_batch(batch.parent, rules, RunOptions(workers=1))
    rules_found = {f.rule for f in result.submissions[0].findings}
    assert "SEAL_MISSING" in rules_found and "FORM_MISSING" in rules_found


def test_scanned_form_page_checkboxes_by_ink(scans, rules):
    """On a scan the boxes are judged by the ink inside them, and the table is rebuilt from its
    ruling lines, so the form's fields come out as from the text PDF."""
    res = extract_file(scans["form"], "附件1-需求征集表（扫描件）.pdf", rules)
    form = next(d for d in res.documents if d.kind == "form").fields
    assert form["direction"] == "元宇宙+智慧旅游" and form["track"] == "文旅"
    assert form["unit_nature"] == "民营企业"
    assert form["lead_unit_name"] == FORM.lead_unit_name
    assert form["scenario_name"] == FORM.scenario_name
    assert form["leader_mobile"] == FORM.leader.mobile


def test_text_pages_and_a_scanned_page(scans, rules, tmp_path):
    """A printed-and-scanned signature page appended to a text PDF: both are read."""
    mixed = join_pdfs([(scans["form_pdf"], 0), (scans["unstamped"], 0)], tmp_path / "mixed.pdf")
    res = extract_file(mixed, "mixed.pdf", rules)
    assert res.source.kind == "both" and res.source.ocr and not res.problems
    assert _letter(res)["letter_date"] == "2023-11-13"


# --- Image geometry without the recogniser ----------------------------------------------------------


def _grid(angle: float = 0.0) -> Image.Image:
    img = Image.new("RGB", (1200, 900), (250, 250, 250))
    d = ImageDraw.Draw(img)
    for y in (100, 200, 300, 600):
        d.line((100, y, 1100, y), fill=(30, 30, 30), width=2)
    for x in (100, 400, 1100):
        d.line((x, 100, x, 600), fill=(30, 30, 30), width=2)
    d.text((120, 130), "牵头单位名称", font=_font(36), fill=(20, 20, 20))
    return img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(250, 250, 250)) if angle else img


@pytest.mark.parametrize("angle", [0.0, 0.6, -0.8])
def test_skew_is_measured_and_undone(angle):
    img = _grid(angle)
    done = ocr.straighten(img)
    assert abs(done.skew + angle) < 0.15 and done.turn == 0
    h_rules, v_rules = ocr.ruling_lines(np.asarray(done.image.convert("L")) < 140)
    assert len([r for r in h_rules if r[1] - r[0] > 900]) == 4
    assert len([r for r in v_rules if r[1] - r[0] > 450]) == 3


def _option_row(ticked: list[bool], word_box: bool = False) -> tuple[Image.Image, list[ocr.OcrChar]]:
    """Options □国家机关  □事业单位 … drawn as squares, and what a recogniser would report."""
    img = Image.new("RGB", (1400, 120), (250, 250, 250))
    d = ImageDraw.Draw(img)
    font = _font(30)
    chars, x = [], 40
    for i, (label, tick) in enumerate(zip(["国家机关", "事业单位", "国有企业"], ticked, strict=True)):
        d.rectangle((x, 42, x + 28, 70), outline=(20, 20, 20), width=2)
        if tick:
            d.line((x + 5, 56, x + 12, 65, x + 24, 46), fill=(20, 20, 20), width=3)
        chars.append(ocr.OcrChar("口" if i != 1 else "区", (x, 38, x + 30, 76), 0.9, i))
        x += 36
        for ch in label:
            d.text((x, 38), ch, font=font, fill=(20, 20, 20))
            chars.append(ocr.OcrChar(ch, (x, 38, x + 30, 76), 0.9, i))
            x += 32
        x += 70
    if word_box:
        d.text((x, 38), "接口", font=font, fill=(20, 20, 20))
        chars += [
            ocr.OcrChar("接", (x, 38, x + 30, 76), 0.9, 9),
            ocr.OcrChar("口", (x + 32, 38, x + 62, 76), 0.9, 9),
        ]
    return img, chars


@pytest.mark.parametrize("ticked", [[False, True, False], [True, False, False], [False, False, False]])
def test_drawn_boxes_judged_by_ink(ticked):
    img, chars = _option_row(ticked)
    dark = np.asarray(img.convert("L")) < 140
    squares = ocr.find_boxes(dark, (40, 38, 1300, 76))
    out = ocr.mark_checkboxes(chars, squares, 0.06)
    text = "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0]))
    marks = ["☑" if t else "☐" for t in ticked]
    assert text == f"{marks[0]}国家机关{marks[1]}事业单位{marks[2]}国有企业"


def test_a_dropped_box_joins_its_options_line():
    """Seen on the scanned samples (issue #18): the recogniser dropped a ticked box, the next
    character's loose box reaches into the square, and a label cell centred on two option lines
    stands level with it. The box is still read, on the line of the option it stands before."""
    img, chars = _option_row([False, False, True])
    dark = np.asarray(img.convert("L")) < 140
    squares = ocr.find_boxes(dark, (40, 38, 1300, 76))
    box = max((s for s in squares if s.stands_apart()), key=lambda s: s.bbox[0]).bbox  # the ticked one
    chars = [c for c in chars if not (c.text == "口" and c.bbox[0] >= box[0] - 4)]
    first = next(i for i, c in enumerate(chars) if c.bbox[0] > box[0])
    b = chars[first].bbox
    chars[first] = ocr.OcrChar(chars[first].text, (box[0] + 0.45 * (box[2] - box[0]), b[1], b[2], b[3]), 0.9, 2)
    chars.append(ocr.OcrChar("质", (0, 20, 30, 110), 0.9, 7))  # a label cell spanning two lines
    out = ocr.mark_checkboxes(chars, squares, 0.06)
    (tick,) = [c for c in out if c.text == "☑"]
    assert (tick.bbox[1], tick.bbox[3]) == (38, 76)
    text = "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0]) if c.bbox[1] == 38)
    assert text.endswith("☐事业单位☑国有企业")


def test_a_ticked_box_read_as_a_circled_digit():
    img, chars = _option_row([True, False, False])
    chars[0] = ocr.OcrChar("①", chars[0].bbox, 0.8, 0)
    dark = np.asarray(img.convert("L")) < 140
    out = ocr.mark_checkboxes(chars, ocr.find_boxes(dark, (40, 38, 1300, 76)), 0.06)
    assert "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0])).startswith("☑国家机关☐")


def test_a_square_inside_a_glyph_is_no_box():
    """The 日 of 指 is a closed square beside blank paper; the recogniser's box for 指 holds it
    even where that box's centre lies left of it (seen on a scanned sample form, issue #18)."""
    img = Image.new("RGB", (400, 120), (250, 250, 250))
    d = ImageDraw.Draw(img)
    font = _font(30)
    chars, x = [], 40
    for ch in "评价指标":
        d.text((x, 38), ch, font=font, fill=(20, 20, 20))
        chars.append(ocr.OcrChar(ch, (x, 38, x + 30, 76), 0.9, 0))
        x += 34
    dark = np.asarray(img.convert("L")) < 140
    squares = ocr.find_boxes(dark, (40, 38, 180, 76))
    assert squares  # the 日 of 指
    for sq in squares:  # the recogniser's box for 指 a little to the left of the glyph
        chars[2] = ocr.OcrChar("指", (sq.bbox[0] - 17, 38, sq.bbox[2] + 1, 76), 0.9, 0)
        sq.gap = 20.0  # blank before it, as on the scan
        out = ocr.mark_checkboxes(chars, [sq], 0.06)
        assert "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0])) == "评价指标"


def test_square_characters_inside_words_stay_text():
    """口 in 接口 (and 国 anywhere) has a closed outline too, but sits against the text before it."""
    img, chars = _option_row([False, False, False], word_box=True)
    dark = np.asarray(img.convert("L")) < 140
    out = ocr.mark_checkboxes(chars, ocr.find_boxes(dark, (40, 38, 1390, 76)), 0.06)
    text = "".join(c.text for c in sorted(out, key=lambda c: c.bbox[0]))
    assert text.endswith("☐国有企业接口") and "☑" not in text


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("二0二三年十一月十日", "二〇二三年十一月十日"),
        ('保障“揭榜挂帅"项目资金', "保障“揭榜挂帅”项目资金"),
        ('"揭榜挂帅"工作', "“揭榜挂帅”工作"),
        ("2023年12月一2024年1月", "2023年12月—2024年1月"),
        ("十一月一日", "十一月一日"),
        ('say "hi"', 'say "hi"'),
        # Seen on the scanned samples (issue #18): dashes read as 一, 孪 as 李, a colon read twice.
        ("资源“采集一建模一确权一应用”的全链条", "资源“采集—建模—确权—应用”的全链条"),
        ('构建"课前预习一课中沉浸一课后巩固"的全流程', "构建“课前预习—课中沉浸—课后巩固”的全流程"),
        ("打造“一江一河”世界级滨水区", "打造“一江一河”世界级滨水区"),
        ("推进“统一标准一体化”", "推进“统一标准一体化”"),
        ("在李生装置上演练", "在孪生装置上演练"),
        ("李生先生", "李生先生"),
        ("（截至2025年2月）：：完成项目验收", "（截至2025年2月）：完成项目验收"),
        ("（截至2025年2月）·：完成", "（截至2025年2月）：完成"),
    ],
)
def test_recogniser_slips(raw, fixed):
    assert ocrfix.fix_text(raw) == fixed
