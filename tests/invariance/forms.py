"""The text sample forms of samples/batch (from samples/expected.json) and where they are on disk."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from docx import Document

from pipeline.config import Rules
from pipeline.discover import Discoverer
from pipeline.safety import sanitize_name

from .transforms import find_form_table

REPO = Path(__file__).resolve().parents[2]
SAMPLE_BATCH = REPO / "samples" / "batch"
EXPECTED = REPO / "samples" / "expected.json"


def _bytes(sid: str, path: str) -> bytes:
    folder, archive = SAMPLE_BATCH / sid, SAMPLE_BATCH / f"{sid}.zip"
    if folder.is_dir():
        return (folder / path).read_bytes()
    if archive.is_file():
        with zipfile.ZipFile(archive) as zf:
            gbk = not all(i.flag_bits & 0x800 or i.filename.isascii() for i in zf.infolist())
        with zipfile.ZipFile(archive, metadata_encoding="gbk" if gbk else None) as zf:
            return zf.read(path)
    return (SAMPLE_BATCH / path).read_bytes()


def _table_layout(data: bytes) -> bool:
    """The form's sections are rows of its table (the transforms' starting point)."""
    try:
        find_form_table(Document(io.BytesIO(data)))
    except ValueError:
        return False
    return True


def sample_forms() -> list[tuple[str, str, str]]:
    """(submission id, path, format) of every readable form in the batch, sorted by submission.

    The format is docx, doc or pdf; `docx-paragraphs` for a DOCX form that is already in a paragraph
    layout (no section table), which, like the PDF and .doc forms, gets T9 only.
    """
    out = []
    for sid, sub in sorted(json.loads(EXPECTED.read_text("utf-8"))["submissions"].items()):
        for f in sub["files"]:
            if f["kind"] not in ("form", "both"):
                continue
            fmt = f["format"]
            if fmt == "docx" and not _table_layout(_bytes(sid, f["path"])):
                fmt = "docx-paragraphs"
            out.append((sid, f["path"], fmt))
    return out


def locate(forms: list[tuple[str, str, str]], rules: Rules, tmp: Path) -> list[Path]:
    """Each form's file on disk (zips unpacked into `tmp` by the pipeline's own discovery)."""
    where = {}
    for sub in Discoverer(rules, tmp).discover(SAMPLE_BATCH):
        for f in sub.files:
            if f.real_path is not None:
                where[(sub.submission_id if sub.origin != "loose" else None, f.rel_path)] = f.real_path
    out = []
    for sid, path, _fmt in forms:
        real = where.get((sanitize_name(sid), path)) or where.get((None, path))
        if real is None:
            raise FileNotFoundError(f"{sid}: {path} not in the batch")
        out.append(real)
    return out


def build_all(forms: list[tuple[str, str, str]], sources: list[Path], out_dir: Path) -> dict[tuple[int, str], Path]:
    """(form index, transform id) → variant: every transform for table-layout DOCX forms, T9 for the rest."""
    from .transforms import make_variants

    table = [i for i, (_s, _p, fmt) in enumerate(forms) if fmt == "docx"]
    others = [i for i in range(len(forms)) if i not in table]
    variants = {}
    for (k, tid), path in make_variants([sources[i] for i in table], out_dir / "docx").items():
        variants[(table[k], tid)] = path
    for (k, tid), path in make_variants([sources[i] for i in others], out_dir / "t9", ids=["T9"]).items():
        variants[(others[k], tid)] = path
    return variants
