"""Writes the blank templates and the batch: Word documents, LibreOffice exports, scans, zips."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from msoffcrypto.format.ooxml import OOXMLFile
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from . import documents
from .model import FileSpec, Submission
from .seal import _font, scanned_page, seal_image, seal_png

TEMPLATE_FORM = "附件1-上海市元宇宙重大应用场景需求征集表.docx"
TEMPLATE_LETTER = "附件2-上海市元宇宙重大应用场景建设承诺书.docx"
LO_PROFILE = "file:///tmp/lo-profile-samples"
SCAN_DPI = 150
ZIP_DATE = (2023, 11, 8, 16, 42, 10)

README_TXT = (
    "各位老师好：\r\n"
    "    我单位申报材料包括附件1需求征集表和附件2建设承诺书，承诺书盖章页已扫描上传。\r\n"
    "    如有问题请联系本单位联系人。谢谢！\r\n"
)
FAKE_PDF_TEXT = "补充材料：场景建设相关证明材料请见纸质版，已于11月10日寄送至受理窗口。\n"


class GbkZipInfo(zipfile.ZipInfo):
    """A member whose name is stored in GBK without the UTF-8 flag, as Chinese Windows writes it."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def soffice(fmt: str, sources: list[Path], outdir: Path) -> None:
    """Convert files with LibreOffice headless in one call, using a private profile."""
    if not sources:
        return
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is needed to write the PDF and .doc samples")
    cmd = [
        exe,
        f"-env:UserInstallation={LO_PROFILE}",
        "--headless",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
    ]
    subprocess.run([*cmd, *map(str, sources)], check=True, capture_output=True, timeout=600)
    for src in sources:
        out = outdir / (src.stem + "." + fmt.split(":")[0])
        if not out.exists():
            raise RuntimeError(f"LibreOffice did not write {out.name}")


@dataclass
class Job:
    """One file of the batch that still has to be produced."""

    sub: Submission
    spec: FileSpec
    target: Path


class BatchWriter:
    def __init__(self, out: Path, seed: str):
        self.out = out
        self.seed = seed
        self.work = Path(tempfile.mkdtemp(prefix="samples-"))

    def rng(self, *parts: str) -> random.Random:
        return random.Random(":".join((self.seed, *parts)))

    # -- Word documents
    def _seal(self, sub: Submission) -> bytes | None:
        if sub.letter and sub.letter.seal in ("inline", "floating"):
            return seal_png(sub.letter.unit_name, self.rng(sub.id, "seal"))
        return None

    def form_doc(self, sub: Submission):
        doc = documents.new_document()
        documents.build_form(doc, sub.form)
        return doc

    def letter_doc(self, sub: Submission):
        doc = documents.new_document()
        documents.build_letter(doc, sub.letter, self._seal(sub))
        return doc

    def both_doc(self, sub: Submission):
        doc = documents.new_document()
        documents.build_form(doc, sub.form)
        documents.page_break(doc)
        documents.build_letter(doc, sub.letter, self._seal(sub))
        return doc

    def templates(self, folder: Path) -> None:
        doc = documents.new_document()
        documents.build_form(doc, None)
        documents.save(doc, folder / TEMPLATE_FORM)
        doc = documents.new_document()
        documents.build_letter(doc, None)
        documents.save(doc, folder / TEMPLATE_LETTER)

    # -- the batch
    def write(self, subs: list[Submission]) -> None:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        staged: dict[str, Path] = {}
        conversions: dict[str, list[tuple[Path, Path]]] = {"pdf": [], "doc": []}
        scans: list[tuple[Submission, Path, Path]] = []
        for n, sub in enumerate(subs):
            root = self.work / f"s{n:02d}"
            staged[sub.id] = root
            for spec in sub.files:
                target = root / spec.path
                target.parent.mkdir(parents=True, exist_ok=True)
                src = self.work / "lo" / f"s{n:02d}_{spec.producer}.docx"
                src.parent.mkdir(parents=True, exist_ok=True)
                match spec.producer:
                    case "form_docx":
                        documents.save(self.form_doc(sub), target)
                    case "letter_docx":
                        documents.save(self.letter_doc(sub), target)
                    case "both_docx":
                        documents.save(self.both_doc(sub), target)
                    case "form_pdf" | "form_doc":
                        documents.save(self.form_doc(sub), src)
                        conversions["pdf" if spec.producer == "form_pdf" else "doc"].append((src, target))
                    case "letter_pdf":
                        documents.save(self.letter_doc(sub), src)
                        conversions["pdf"].append((src, target))
                    case "letter_scan":
                        documents.save(self.letter_doc(sub), src)
                        conversions["pdf"].append((src, src.with_suffix(".pdf")))
                        scans.append((sub, src.with_suffix(".pdf"), target))
                    case "readme_txt":
                        target.write_bytes(README_TXT.encode("gbk"))
                    case "ds_store":
                        target.write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(2048 - 8))
                    case "thumbs_db":
                        target.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4096 - 8))
                    case "truncated_docx":
                        data = documents.docx_bytes(self.form_doc(sub))
                        target.write_bytes(data[: int(len(data) * 0.55)])
                    case "fake_pdf":
                        target.write_bytes(FAKE_PDF_TEXT.encode("utf-8"))
                    case "encrypted_pdf":
                        target.write_bytes(self._encrypted_pdf(sub))
                    case "encrypted_docx":
                        target.write_bytes(self._encrypted_docx(sub))
                    case other:
                        raise ValueError(other)

        outdir = self.work / "lo-out"
        outdir.mkdir(exist_ok=True)
        for fmt, pairs in conversions.items():
            sources = [src for src, _ in pairs]
            if fmt == "doc" and sources:
                # LibreOffice 7.4 drops the tables when it writes .doc straight from these .docx
                # files; going through its own format first keeps them.
                odt_dir = self.work / "lo-odt"
                odt_dir.mkdir(exist_ok=True)
                soffice("odt", sources, odt_dir)
                sources = [odt_dir / f"{src.stem}.odt" for src in sources]
            soffice(fmt, sources, outdir)
            for src, target in pairs:
                shutil.copyfile(outdir / f"{src.stem}.{fmt}", target)
        for sub, rendered, target in scans:
            self._scan(sub, rendered, target)

        for sub in subs:
            self._place(sub, staged[sub.id])
        shutil.rmtree(self.work, ignore_errors=True)

    def _place(self, sub: Submission, root: Path) -> None:
        if sub.container == "folder":
            shutil.copytree(root, self.out / sub.id)
        elif sub.container == "loose":
            for spec in sub.files:
                shutil.copyfile(root / spec.path, self.out / spec.path)
        elif sub.container in ("zip_gbk", "zip_utf8"):
            self._zip(sub, root, self.out / f"{sub.id}.zip", gbk=sub.container == "zip_gbk")
        else:
            raise ValueError(sub.container)

    @staticmethod
    def _zip(sub: Submission, root: Path, target: Path, gbk: bool) -> None:
        info_cls = GbkZipInfo if gbk else zipfile.ZipInfo
        dirs: list[str] = []
        for spec in sub.files:
            parts = spec.path.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                d = "/".join(parts[:k]) + "/"
                if d not in dirs:
                    dirs.append(d)
        with zipfile.ZipFile(target, "w") as zf:
            for d in dirs:
                info = info_cls(d, ZIP_DATE)
                info.external_attr = 0x10  # MS-DOS directory attribute
                info.create_system = 0
                zf.writestr(info, b"")
            for spec in sub.files:
                info = info_cls(spec.path, ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0x20  # MS-DOS archive attribute
                info.create_system = 0  # MS-DOS, as Windows' "compressed folder" writes
                zf.writestr(info, (root / spec.path).read_bytes())

    # -- scans and other special files
    def _scan(self, sub: Submission, rendered: Path, target: Path) -> None:
        rng = self.rng(sub.id, "scan")
        prefix = rendered.with_name(rendered.stem + "-page")
        subprocess.run(["pdftoppm", "-r", str(SCAN_DPI), "-png", str(rendered), str(prefix)], check=True)
        pages = sorted(rendered.parent.glob(prefix.name + "*.png"))
        anchor = _seal_anchor(rendered)
        images = []
        for k, page_png in enumerate(pages):
            page = Image.open(page_png)
            seal = center = None
            if sub.letter.seal == "scan" and anchor and anchor[0] == k:
                seal = seal_image(sub.letter.unit_name, rng, size=int(4.1 / 2.54 * SCAN_DPI))
                center = anchor[1]
            images.append(scanned_page(page, rng, seal, center))
        images[0].save(
            target, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:], quality=72
        )

    def _encrypted_pdf(self, sub: Submission) -> bytes:
        img = Image.new("RGB", (1240, 877), (250, 246, 236))
        draw = ImageDraw.Draw(img)
        draw.rectangle((30, 30, 1210, 847), outline=(170, 40, 40), width=6)
        draw.text((620, 150), "营 业 执 照", font=_font(72), fill=(150, 30, 30), anchor="mm")
        draw.text((620, 250), "（副        本）", font=_font(34), fill=(60, 60, 60), anchor="mm")
        lines = [
            f"名称：{sub.form.lead_unit_name}",
            f"统一社会信用代码：{sub.form.lead_unit_code}",
            "类型：有限责任公司",
        ]
        for i, line in enumerate(lines):
            draw.text((160, 380 + i * 70), line, font=_font(34), fill=(40, 40, 40))
        buf = io.BytesIO()
        img.save(buf, "PDF", resolution=150, quality=70)
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
        writer.encrypt(user_password="20231108", owner_password="shenbao-owner", algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def _encrypted_docx(self, sub: Submission) -> bytes:
        doc = documents.new_document()
        doc.add_paragraph(f"{sub.form.scenario_name}——场景建设方案（详细版）")
        for paragraph in sub.form.sections["scenario_overview"]:
            doc.add_paragraph(paragraph)
        plain = io.BytesIO()
        doc.save(plain)
        plain.seek(0)
        out = io.BytesIO()
        OOXMLFile(plain).encrypt("Xj2023!", out)
        return out.getvalue()


def _seal_anchor(pdf_path: Path) -> tuple[int, tuple[int, int]] | None:
    """Page index and pixel centre for the seal: over 单位（单位盖章）, towards the date."""
    with pdfplumber.open(pdf_path) as pdf:
        for k, page in enumerate(pdf.pages):
            hits = page.search("单位盖章")
            if hits:
                hit = hits[0]
                scale = SCAN_DPI / 72
                x = (hit["x1"] + 60) * scale
                y = (hit["bottom"] + 8) * scale
                return k, (int(x), int(y))
    return None
