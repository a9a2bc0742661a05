"""Batch discovery: which files make up which submission (SPEC §3).

Each subfolder or `.zip` directly inside the batch folder is one submission, its id the folder or
zip name. Loose top-level files are provisional single-file submissions; the engine groups them
after extraction by the unit and scenario they name. Zip members are unpacked into a folder the
run owns, with their names decoded the way the zip's maker wrote them (GBK on Chinese Windows).
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .config import Rules
from .model import FileProblem
from .safety import Limits, sanitize_name, unique_name


@dataclass
class InputFile:
    rel_path: str  # path inside the submission, as the applicant named it ("/" separated)
    real_path: Path | None  # where to read it; None when it could not be unpacked
    size: int = 0
    problem: FileProblem | None = None  # set when the file was refused before parsing
    ignored: bool = False  # operating-system clutter (.DS_Store …): listed nowhere, no finding


@dataclass
class SubmissionInput:
    submission_id: str
    origin: str  # folder | zip | loose
    source_name: str  # the folder, zip or file name in the batch
    files: list[InputFile] = field(default_factory=list)


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """Decode a member name: UTF-8 when flagged, else UTF-8 if valid, else GB18030 (GBK superset)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:  # already decoded by a metadata_encoding
        return info.filename
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("cp437")


def _safe_member_path(name: str) -> str | None:
    """A relative, normalised member path, or None when nothing safe is left (zip slip)."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    parts = [sanitize_name(p, 120) for p in parts if not p.endswith(":")]
    return "/".join(parts) if parts else None


def _is_ignored(rel_path: str, rules: Rules) -> bool:
    files = rules.raw["files"]
    parts = rel_path.split("/")
    if any(p in files["ignore_dirs"] for p in parts[:-1]):
        return True
    name = parts[-1]
    return name in files["ignore_names"] or any(name.startswith(p) for p in files["ignore_prefixes"])


class Discoverer:
    """Walks a batch folder; unpacks zips below `workdir` (a temp folder the run owns and removes)."""

    def __init__(self, rules: Rules, workdir: Path, limits: Limits | None = None):
        self.rules = rules
        self.workdir = workdir
        self.limits = limits or Limits()
        self._counter = 0

    def discover(self, batch: Path) -> list[SubmissionInput]:
        taken: set[str] = set()
        subs: list[SubmissionInput] = []
        for entry in sorted(batch.iterdir(), key=lambda p: p.name):
            if entry.is_symlink():
                continue  # never follow links out of the batch folder
            if entry.is_dir():
                if entry.name in self.rules.raw["files"]["ignore_dirs"]:
                    continue
                sub = SubmissionInput(unique_name(sanitize_name(entry.name), taken), "folder", entry.name)
                self._walk_folder(entry, "", sub, depth=0)
                subs.append(sub)
            elif entry.is_file():
                if _is_ignored(entry.name, self.rules):
                    continue
                if entry.suffix.lower() == ".zip":
                    sub = SubmissionInput(unique_name(sanitize_name(entry.stem), taken), "zip", entry.name)
                    self._unpack_zip(entry, "", sub, depth=1)
                else:
                    sub = SubmissionInput(unique_name(sanitize_name(entry.stem), taken), "loose", entry.name)
                    sub.files.append(InputFile(entry.name, entry, entry.stat().st_size))
                subs.append(sub)
        return subs

    def _walk_folder(self, folder: Path, prefix: str, sub: SubmissionInput, depth: int) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            rel = f"{prefix}{entry.name}"
            if entry.is_symlink():
                sub.files.append(InputFile(rel, None, 0, FileProblem("FILE_UNSUPPORTED", "符号链接，未读取")))
            elif entry.is_dir():
                if entry.name not in self.rules.raw["files"]["ignore_dirs"] and depth < 8:
                    self._walk_folder(entry, rel + "/", sub, depth + 1)
            elif entry.is_file():
                if _is_ignored(rel, self.rules):
                    continue
                if entry.suffix.lower() == ".zip":
                    self._unpack_zip(entry, rel + "/", sub, depth=1)
                else:
                    sub.files.append(InputFile(rel, entry, entry.stat().st_size))

    def _unpack_zip(self, zpath: Path, prefix: str, sub: SubmissionInput, depth: int) -> None:
        """Unpack a zip's members into the run's folder, refusing what breaks the limits."""
        lim = self.limits
        label = prefix.rstrip("/") or zpath.name
        if depth > lim.max_zip_depth:
            sub.files.append(InputFile(label, None, 0, FileProblem("FILE_UNSUPPORTED", f"压缩包嵌套超过{lim.max_zip_depth}层，未解压")))
            return
        try:
            zf = zipfile.ZipFile(zpath)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            sub.files.append(InputFile(label, None, 0, FileProblem("FILE_UNREADABLE", f"压缩包损坏，无法打开: {exc}")))
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            if len(infos) > lim.max_zip_members:
                sub.files.append(InputFile(label, None, 0, FileProblem(
                    "FILE_UNREADABLE", f"压缩包内文件数 {len(infos)} 超过上限 {lim.max_zip_members}，未解压")))
                return
            total = sum(i.file_size for i in infos)
            if total > lim.max_zip_total_mb * 2**20:
                sub.files.append(InputFile(label, None, 0, FileProblem(
                    "FILE_UNREADABLE", f"压缩包解压后 {total / 2**20:.0f} MB，超过上限 {lim.max_zip_total_mb} MB，未解压")))
                return
            self._counter += 1
            target = self.workdir / f"z{self._counter}"
            target.mkdir(parents=True, exist_ok=True)
            for info in infos:
                name = zip_member_name(info)
                rel_inside = _safe_member_path(name)
                if rel_inside is None:
                    continue
                rel = prefix + rel_inside
                if _is_ignored(rel, self.rules):
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    sub.files.append(InputFile(rel, None, info.file_size, FileProblem("FILE_UNSUPPORTED", "压缩包内的符号链接，未解压")))
                    continue
                if info.compress_size and info.file_size / info.compress_size > lim.max_zip_ratio and info.file_size > 2**20:
                    sub.files.append(InputFile(rel, None, info.file_size, FileProblem(
                        "FILE_UNREADABLE", f"压缩比 {info.file_size / info.compress_size:.0f} 异常（疑似压缩炸弹），未解压")))
                    continue
                dest = target / f"m{len(os.listdir(target))}{Path(rel_inside).suffix.lower()[:10]}"
                try:
                    self._extract_member(zf, info, dest, lim.max_zip_total_mb * 2**20)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
                    reason = "加密的压缩包成员" if info.flag_bits & 0x1 else f"无法解压: {exc}"
                    rule = "FILE_ENCRYPTED" if info.flag_bits & 0x1 else "FILE_UNREADABLE"
                    sub.files.append(InputFile(rel, None, info.file_size, FileProblem(rule, reason)))
                    continue
                if dest.suffix == ".zip":
                    self._unpack_zip(dest, rel + "/", sub, depth + 1)
                else:
                    sub.files.append(InputFile(rel, dest, dest.stat().st_size))

    @staticmethod
    def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, cap: int) -> None:
        """Stream one member to disk, stopping at `cap` bytes whatever the header claims."""
        written = 0
        with zf.open(info) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > cap:
                    raise ValueError("解压后超过大小上限")
                out.write(chunk)
