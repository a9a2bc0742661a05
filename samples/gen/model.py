"""Plain data describing one sample submission: what its documents say and how they are encoded."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Person:
    name: str | None
    title: str | None = None
    phone: str | None = None
    mobile: str | None = None
    fax: str | None = None
    email: str | None = None


@dataclass
class JointUnit:
    name: str | None
    nature: str | None
    strengths: str | None
    code: str | None  # as written in the form


@dataclass
class Profile:
    """What a scenario is about; fills the placeholders of the narrative sentence banks."""

    track: str  # vocabulary of the narrative (may differ from the checked direction's track)
    obj: str  # the object built, e.g. 白车身焊装产线
    site: str  # where, e.g. 嘉定区安亭镇
    users: str  # who uses it
    pain: str  # the problem it solves
    metric: str  # the headline improvement
    partners: list[str]
    total: int  # total investment, 万元
    months: int  # construction period
    highlights: list[str] = field(default_factory=list)  # scenario-specific 建设内容 items
    start: tuple[int, int] = (2023, 12)
    unit_kind: str = "enterprise"  # enterprise | university | college | hospital | association | partnership
    founded: int = 2016
    staff: int = 180
    rnd_staff: int = 90
    patents: int = 26
    copyrights: int = 48


@dataclass
class FormData:
    lead_unit_name: str
    lead_unit_code: str  # as written
    scenario_name: str
    directions: list[str]
    address: str | None
    leader: Person
    contact: Person
    unit_natures: list[str]
    unit_nature_other: str | None
    joint_units: list[JointUnit]
    sections: dict[str, list[str]]  # key -> applicant paragraphs ([] when empty)
    hints_kept: set[str] = field(default_factory=set)  # sections whose printed hint stays in place
    direction_encoding: str = "glyph"
    nature_encoding: str = "glyph"
    label_variants: bool = False
    reorder_people: bool = False


@dataclass
class LetterData:
    scenario_name: str  # as written between 提交了 and 参评, e.g. 《…》
    clauses: list[str]
    contact: str | None
    contact_phone: str | None
    legal_rep: str | None
    unit_name: str | None
    date_text: str | None  # as written, None = left as "2023年  月   日"
    date_iso: str | None
    seal: str | None  # "inline" | "floating" | None for DOCX letters; for scans: "scan" | None


@dataclass
class FileSpec:
    path: str  # relative to the submission folder / zip root (loose files: the file name)
    kind: str  # form | letter | both | unknown
    format: str
    producer: str  # how the generator makes it (see gen.batch)
    listed: bool = True  # False for OS clutter the pipeline ignores silently


@dataclass
class Submission:
    id: str
    description: str
    container: str  # folder | zip_gbk | zip_utf8 | loose
    files: list[FileSpec]
    form: FormData | None
    letter: LetterData | None
    rules: list[str]
    profile: Profile | None = None
