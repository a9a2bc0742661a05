"""Write the sample submissions whose forms are in paragraph layouts (issue #17).

    python samples/make_layout_samples.py              # only these submissions, into samples/batch
    python samples/make_layout_samples.py --out DIR    # into DIR/<submission id>/

Their data is in the generator's catalogue (samples/gen/catalogue.py: the files with a `layout_*`
producer), so samples/expected.json holds their truth like any other sample's. The generator writes
the standard table-layout form; tests/invariance/transforms.py re-renders it (T1 bold （一） headings,
T2 Heading 2 styles, T3 split numbered headings, T5 `label：text`), and LibreOffice makes the .doc
and the PDFs (one call per step). Only these submissions' folders are written; the other samples'
bytes stay as they are. `samples/make_samples.py` (everything) calls this for them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (str(HERE), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)

from gen import catalogue, documents  # noqa: E402
from gen.batch import BatchWriter  # noqa: E402
from gen.model import Submission  # noqa: E402

from tests.invariance import transforms  # noqa: E402

# producer → (transform, format of the committed file)
LAYOUTS = {
    "layout_t1_docx": ("T1", "docx"),
    "layout_t2_docx": ("T2", "docx"),
    "layout_t3_doc": ("T3", "doc"),
    "layout_t5_pdf": ("T5", "pdf"),
}
TABLE_FORM = "附件1-需求征集表.docx"


def is_layout(sub: Submission) -> bool:
    return any(f.producer in LAYOUTS for f in sub.files)


def write(subs: list[Submission], batch: Path) -> list[str]:
    """Write every layout submission of `subs` as a folder in `batch`; returns their ids."""
    chosen = [s for s in subs if is_layout(s)]
    writer = BatchWriter(batch, catalogue.SEED)  # its documents and seals only; write() is not called
    work = Path(tempfile.mkdtemp(prefix="layout-samples-"))
    to_doc: list[tuple[Path, Path]] = []
    to_pdf: list[tuple[Path, Path]] = []
    try:
        for n, sub in enumerate(chosen):
            if sub.container != "folder":
                raise ValueError(f"{sub.id}: layout samples are folders")
            folder = batch / sub.id
            if folder.exists():
                shutil.rmtree(folder)
            for spec in sub.files:
                target = folder / spec.path
                target.parent.mkdir(parents=True, exist_ok=True)
                staged = work / f"s{n:02d}"
                if spec.producer == "letter_docx":
                    documents.save(writer.letter_doc(sub), target)
                elif spec.producer == "letter_pdf":
                    source = staged / "letter" / "附件2-建设承诺书.docx"
                    documents.save(writer.letter_doc(sub), source)
                    to_pdf.append((source, target))
                elif spec.producer in LAYOUTS:
                    tid, fmt = LAYOUTS[spec.producer]
                    table = staged / "table" / TABLE_FORM
                    documents.save(writer.form_doc(sub), table)
                    made = transforms.TRANSFORMS[tid](table, staged / tid)
                    if fmt == "docx":
                        shutil.copyfile(made, target)
                    else:
                        (to_doc if fmt == "doc" else to_pdf).append((made, target))
                else:
                    raise ValueError(f"{sub.id}: producer {spec.producer} is not made here")
        transforms.to_doc(to_doc)
        transforms.soffice_convert(to_pdf, "pdf")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(writer.work, ignore_errors=True)
    return [s.id for s in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE / "batch", help="the batch folder to write into")
    args = parser.parse_args(argv)
    ids = write(catalogue.submissions(), args.out)
    for sid in ids:
        print(f"written: {args.out / sid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
