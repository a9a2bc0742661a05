"""The typed document model shared by every stage.

Data flows one way: a format backend turns a file into a `Layout` (plain blocks of text with
provenance), the shared field logic turns a layout into `ExtractedDocument`s, the engine groups
documents into `Submission`s, validators add `Finding`s, and reporters read the `BatchResult`.
Everything here is plain data: picklable (for worker processes and the cache) and serialisable
to the JSON contract in `pipeline/schema/results.schema.json`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "review", "warning", "info"]
DocumentKind = Literal["form", "letter"]
FileKind = Literal["form", "letter", "both", "unknown"]
Status = Literal["pass", "warn", "review", "fail"]

# `review` (the checker could not see something) ranks above a warning and below an error: an error
# is the applicant's and certain; a review item is the checker's blind spot, for a person to look at.
SEVERITY_ORDER = {"info": 0, "warning": 1, "review": 2, "error": 3}
STATUS_OF_SEVERITY: dict[int, Status] = {0: "pass", 1: "warn", 2: "review", 3: "fail"}


@dataclass(frozen=True)
class Provenance:
    """Where a value came from: file, and page / table cell / paragraph / bbox where known."""

    file: str
    page: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    paragraph: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    ocr: bool = False
    confidence: float | None = None

    def describe(self) -> str:
        """A short Chinese location for reviewers, e.g. `第2页 表1 第3行第2列`."""
        parts: list[str] = []
        if self.page is not None:
            parts.append(f"第{self.page}页")
        if self.table is not None:
            parts.append(f"表{self.table + 1}")
        if self.row is not None and self.col is not None:
            parts.append(f"第{self.row + 1}行第{self.col + 1}列")
        elif self.paragraph is not None:
            parts.append(f"第{self.paragraph + 1}段")
        if self.ocr:
            conf = f"，置信度{self.confidence:.2f}" if self.confidence is not None else ""
            parts.append(f"(OCR识别{conf})")
        return " ".join(parts)


BlockKind = Literal["cell", "paragraph", "line"]
# How a block is set apart as a heading by its format (not by its words): a Word heading style or
# outline level, or a paragraph whose text is all bold. Backends that cannot tell leave it None.
HeadingKind = Literal["style", "bold"]


@dataclass
class Block:
    """One logical piece of text in reading order.

    A table cell (a merged cell is one block), a paragraph, or an OCR/PDF text line. Checkboxes
    are already decoded by the format backend into the canonical glyphs ☑ (checked) and ☐
    (unchecked), or ⍰ where a scanned box cannot be called either way, placed where the box stood,
    so the shared field logic never sees encodings.
    """

    text: str
    kind: BlockKind
    prov: Provenance
    new_row: bool = False  # first cell of a table row (cells only)
    row_span: int = 1
    col_span: int = 1
    heading: HeadingKind | None = None
    outline_level: int | None = None  # 0 for Heading 1 / outline level 1, when `heading == "style"`
    # OCR only: the recognised lines the text was joined from, as (end offset in `text`, confidence),
    # so a reader can weigh each character by its own line's confidence and see where lines meet.
    ocr_lines: tuple[tuple[int, float], ...] = ()


@dataclass
class ImageInfo:
    """An image found in a document (DOCX picture, PDF image, or a seal-like region of a scan)."""

    prov: Provenance
    width: int
    height: int
    red_ratio: float
    near_seal_label: bool = False
    looks_like_seal: bool = False
    crop_png_b64: str | None = None  # small PNG for the report


@dataclass
class Note:
    """Something the extractor could not decide and wants a reviewer to see (not a rule)."""

    message: str  # Chinese
    prov: Provenance | None = None


@dataclass
class Gap:
    """A part of a document the checker could not read (SPEC §4: EXTRACTION_INCOMPLETE).

    `fields` are the keys whose values stay unseen (a section key, `direction`, `letter_clauses[3]`);
    rules that judge them stay silent for this submission, and one review finding per gap says what
    a person should look at.
    """

    part: str  # Chinese: what could not be read, e.g. 具体内容栏目「需求分析」
    reason: str  # Chinese: why, and what to check
    fields: tuple[str, ...] = ()
    prov: Provenance | None = None


@dataclass
class Layout:
    """What a format backend hands to the shared field logic."""

    file: str
    format: str
    pages: int | None = None
    blocks: list[Block] = field(default_factory=list)
    images: list[ImageInfo] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ocr: bool = False
    ocr_confidence: float | None = None
    problems: list[FileProblem] = field(default_factory=list)  # e.g. OCR_UNAVAILABLE for some pages


@dataclass
class ExtractedDocument:
    """One attachment read from a file: 附件1 (form) or 附件2 (letter)."""

    kind: DocumentKind
    file: str
    fields: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    images: list[ImageInfo] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class FileProblem:
    """A file-level problem found while reading (turned into a finding by the validator)."""

    rule: str  # FILE_UNREADABLE, FILE_ENCRYPTED, FILE_UNSUPPORTED, OCR_UNAVAILABLE, EXTRACTION_INCOMPLETE
    reason: str  # Chinese, shown to the reviewer
    page: int | None = None
    file: str | None = None  # path inside the submission; set when assembled


@dataclass
class SourceFile:
    path: str  # path inside the submission (folder or zip)
    format: str  # by content: docx, pdf, doc, encrypted-ooxml, zip, … (pipeline/formats.py)
    kind: FileKind = "unknown"
    pages: int | None = None
    ocr: bool = False
    sha256: str | None = None
    size: int | None = None
    extension: str = ""  # the name's extension, lower-case, no dot ("" when the name has none)


@dataclass
class FileResult:
    """Everything extraction learned from one file."""

    source: SourceFile
    documents: list[ExtractedDocument] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Evidence:
    file: str | None = None
    page: int | None = None
    location: str | None = None  # Chinese description of the place (table cell, paragraph)
    excerpt: str | None = None


@dataclass
class Finding:
    rule: str
    severity: Severity
    field: str | None
    message: str  # Chinese
    evidence: Evidence = field(default_factory=Evidence)
    details: dict[str, Any] = field(default_factory=dict)
    # A reviewer's decision (pipeline/decisions.py): {action: dismiss|confirm, note, by, source}.
    # A dismissed finding stays in the results but no longer counts toward the status.
    decision: dict[str, Any] | None = None

    @property
    def dismissed(self) -> bool:
        return self.decision is not None and self.decision.get("action") == "dismiss"


@dataclass
class Submission:
    submission_id: str
    origin: Literal["folder", "zip", "loose"]
    grouping: str  # Chinese: how the files were grouped into this submission
    files: list[SourceFile] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    images: list[ImageInfo] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    status: Status = "pass"
    # Inputs of validation, not written to results.json: the documents as read, and file problems.
    documents: list[ExtractedDocument] = field(default_factory=list)
    file_problems: list[FileProblem] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)  # what no document of the submission let us read

    def compute_status(self) -> Status:
        """fail (any error) > review (any review item) > warn (any warning) > pass; dismissed findings
        do not count."""
        worst = max((SEVERITY_ORDER[f.severity] for f in self.findings if not f.dismissed), default=0)
        self.status = STATUS_OF_SEVERITY[worst]
        return self.status


@dataclass
class BatchResult:
    run: dict[str, Any]
    submissions: list[Submission]
    expectations: dict[str, Any] | None = None


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, looked up once per class (dataclasses.fields is slow in a hot loop)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_LEAVES = frozenset({str, int, float, bool, type(None)})


def to_jsonable(obj: Any) -> Any:
    """Dataclasses → dicts, tuples → lists; the JSON form of the model."""
    t = type(obj)
    if t in _LEAVES:  # most calls: answered by one set lookup
        return obj
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {name: to_jsonable(getattr(obj, name)) for name in field_names(t)}
    return obj
