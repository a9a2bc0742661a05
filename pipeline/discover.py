"""Batch discovery: which files make up which submission (SPEC §3).

Each subfolder or `.zip` directly inside the batch folder is one submission, its id the folder or
zip name. Loose top-level files are provisional single-file submissions; the engine groups them
after extraction by the unit and scenario they name. Zip members are unpacked into a folder the
run owns, with their names decoded the way the zip's maker wrote them (GBK on Chinese Windows).

Nothing here parses a document. What breaks a limit (member counts, sizes, ratios, nesting, path
traversal, links, special files) is listed with a `FileProblem` saying what was refused and why,
so the submission's report shows it; nothing is silently dropped except operating-system clutter.

A `.zip` that is a Word package (a DOCX renamed) is a document, not a container: it is listed as a
file, to be read by its content. A file with another extension is never opened here, so a real zip
renamed `.docx` is listed too, and its reader says what it is.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .config import Rules
from .explain import explain
from .model import FileProblem
from .safety import MB, Limits, bomb_ratio, fs_name, sanitize_name, unique_name, visible


@dataclass
class InputFile:
    rel_path: str  # path inside the submission, as the applicant named it ("/" separated, controls escaped)
    real_path: Path | None  # where to read it; None when it could not be unpacked
    size: int = 0
    problem: FileProblem | None = None  # set when the file was refused before parsing
    ignored: bool = False  # operating-system clutter (.DS_Store …): listed nowhere, no finding
    # What says the bytes are unchanged since a previous run (`stat_identity`); None: unknown.
    identity: tuple[int, ...] | None = None
    # A zip member not unpacked yet (lazy discovery): (zip, member, byte cap); `materialize` unpacks it.
    pending: tuple[Path, zipfile.ZipInfo, int] | None = None
    # A refused file that is whole on disk (a zip that could not be unpacked): hashed for the listing.
    whole: Path | None = None


@dataclass
class SubmissionInput:
    submission_id: str
    origin: str  # folder | zip | loose
    source_name: str  # the folder, zip or file name in the batch
    files: list[InputFile] = field(default_factory=list)


@dataclass
class _Budget:
    """What one submission may unpack, all its zips together (nested zips share it)."""

    members: int
    bytes: int


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


def is_traversal(name: str) -> bool:
    """A member name that would land outside the folder it is unpacked into (zip slip)."""
    norm = name.replace("\\", "/")
    return norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in norm.split("/")


def _safe_member_path(name: str) -> str | None:
    """A relative, normalised member path, or None when nothing is left."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")]
    parts = [visible(p) for p in parts if not p.endswith(":")]
    return "/".join(parts) if parts else None


def _is_ignored(rel_path: str, rules: Rules) -> bool:
    files = rules.raw["files"]
    parts = rel_path.split("/")
    if any(p in files["ignore_dirs"] for p in parts[:-1]):
        return True
    name = parts[-1]
    return name in files["ignore_names"] or any(name.startswith(p) for p in files["ignore_prefixes"])


def _refused(rel: str, rule: str, reason: str, size: int = 0, whole: Path | None = None) -> InputFile:
    """A file listed but not read. `whole`: the file on disk it is (a zip that could not be
    unpacked), so the listing can give its real size and SHA-256."""
    if whole is not None:
        with contextlib.suppress(OSError):
            size = whole.stat().st_size
    return InputFile(rel, None, size, FileProblem(rule, reason), whole=whole)


def stat_identity(st: os.stat_result) -> tuple[int, ...]:
    """A file's identity as git's index keeps it: device, inode, size, mtime and ctime (ns).

    Writing to a file changes its ctime, which no user can set back, so an unchanged identity
    means unchanged bytes (unless the file changed within the clock tick it was last read in;
    `cache.HashMemo` leaves such recent files out).
    """
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _member_identity(zip_identity: tuple[int, ...] | None, info: zipfile.ZipInfo) -> tuple[int, ...] | None:
    """A zip member's identity: its (top-level) zip's, plus where the member is and its CRC and sizes."""
    if zip_identity is None:
        return None
    return (*zip_identity, info.header_offset, info.CRC, info.file_size, info.compress_size)


class Discoverer:
    """Walks a batch folder; unpacks zips below `workdir` (a temp folder the run owns and removes).

    With `lazy`, a zip's members are checked and listed but only unpacked by `materialize`, so a
    re-run unpacks only the members whose results are not cached. Nested zips are always unpacked
    (they must be, to be listed).
    """

    def __init__(self, rules: Rules, workdir: Path, limits: Limits | None = None, lazy: bool = False):
        self.rules = rules
        self.workdir = workdir
        self.limits = limits or Limits()
        self.lazy = lazy
        self._counter = 0

    def discover(self, batch: Path) -> list[SubmissionInput]:
        taken: set[str] = set()
        subs: list[SubmissionInput] = []
        for entry in sorted(batch.iterdir(), key=lambda p: p.name):
            name = fs_name(entry.name)
            if entry.is_dir() and not entry.is_symlink():
                if name in self.rules.raw["files"]["ignore_dirs"]:
                    continue
                sub = SubmissionInput(unique_name(sanitize_name(name), taken), "folder", visible(name))
                budget = _Budget(self.limits.max_zip_members, self.limits.max_zip_total_mb * MB)
                self._walk_folder(entry, "", sub, 0, budget)
                subs.append(sub)
                continue
            if _is_ignored(name, self.rules):
                continue
            stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
            problem = _not_regular(entry)
            if problem is None and name.lower().endswith(".zip") and not is_word_package(entry):
                sub = SubmissionInput(unique_name(sanitize_name(stem), taken), "zip", visible(name))
                budget = _Budget(self.limits.max_zip_members, self.limits.max_zip_total_mb * MB)
                self._unpack_zip(entry, "", sub, 1, budget, _identity_of(entry))
            else:
                sub = SubmissionInput(unique_name(sanitize_name(stem), taken), "loose", visible(name))
                if problem is not None:
                    sub.files.append(InputFile(visible(name), None, 0, problem))
                else:
                    sub.files.append(_regular_file(visible(name), entry))
            subs.append(sub)
        return subs

    def _walk_folder(self, folder: Path, prefix: str, sub: SubmissionInput, depth: int, budget: _Budget) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            rel = f"{prefix}{visible(fs_name(entry.name))}"
            if entry.is_dir() and not entry.is_symlink():
                if fs_name(entry.name) in self.rules.raw["files"]["ignore_dirs"]:
                    continue
                if depth + 1 > self.limits.max_folder_depth:
                    sub.files.append(_refused(rel, "FILE_UNSUPPORTED", f"文件夹嵌套超过 {self.limits.max_folder_depth} 层，其中内容未读取"))
                    continue
                self._walk_folder(entry, rel + "/", sub, depth + 1, budget)
                continue
            if _is_ignored(rel, self.rules):
                continue
            problem = _not_regular(entry)
            if problem is not None:
                sub.files.append(InputFile(rel, None, 0, problem))
            elif budget.members <= 0:
                sub.files.append(_refused(rel, "FILE_UNREADABLE", f"提交内文件数超过上限 {self.limits.max_zip_members} 个，未读取"))
            elif entry.name.lower().endswith(".zip") and not is_word_package(entry):
                self._unpack_zip(entry, rel + "/", sub, 1, budget, _identity_of(entry))
            else:
                budget.members -= 1
                sub.files.append(_regular_file(rel, entry))

    def _unpack_zip(self, zpath: Path, prefix: str, sub: SubmissionInput, depth: int, budget: _Budget,
                    identity: tuple[int, ...] | None = None) -> None:
        """Unpack a zip's members into the run's folder, refusing what breaks the limits."""
        lim = self.limits
        label = prefix.rstrip("/") or visible(fs_name(zpath.name))
        if depth > lim.max_zip_depth:
            sub.files.append(_refused(label, "FILE_UNSUPPORTED", f"压缩包嵌套超过 {lim.max_zip_depth} 层（压缩包内的压缩包内又有压缩包），未解压", whole=zpath))
            return
        try:
            zf = zipfile.ZipFile(zpath)
            infos = [i for i in zf.infolist() if not i.is_dir()]
        except Exception as exc:  # noqa: BLE001 - zipfile raises many types on damaged input
            sub.files.append(_refused(label, "FILE_UNREADABLE", f"压缩包损坏，无法打开：{explain(exc, label)}", whole=zpath))
            return
        with zf:
            if not infos:
                sub.files.append(_refused(label, "FILE_UNREADABLE", "压缩包内没有任何文件", whole=zpath))
                return
            if len(infos) > budget.members:
                sub.files.append(_refused(label, "FILE_UNREADABLE",
                                          f"压缩包内文件数 {len(infos)} 超过上限 {lim.max_zip_members}，未解压", whole=zpath))
                return
            total = sum(i.file_size for i in infos)
            if total > budget.bytes:
                sub.files.append(_refused(label, "FILE_UNREADABLE",
                                          f"压缩包解压后 {total / MB:.0f} MB，超过上限 {lim.max_zip_total_mb} MB，未解压", whole=zpath))
                return
            self._counter += 1
            target = self.workdir / f"z{self._counter}"
            for n, info in enumerate(infos):
                self._unpack_member(zf, info, target / f"m{n}", prefix, sub, depth, budget, identity)

    def _unpack_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest_stem: Path, prefix: str,
                       sub: SubmissionInput, depth: int, budget: _Budget, zip_identity: tuple[int, ...] | None) -> None:
        lim = self.limits
        name = zip_member_name(info)
        rel_inside = _safe_member_path(name)
        if rel_inside is None:
            sub.files.append(_refused(prefix + visible(name), "FILE_UNREADABLE", "压缩包成员名称无效，未解压"))
            return
        rel = prefix + rel_inside
        if _is_ignored(rel, self.rules):
            return
        if is_traversal(name):
            sub.files.append(_refused(rel, "FILE_UNREADABLE",
                                      f"压缩包成员路径「{visible(name)[:120]}」含 ../ 或绝对路径（路径穿越），为安全起见未解压"))
            return
        if stat.S_ISLNK(info.external_attr >> 16):
            sub.files.append(_refused(rel, "FILE_UNSUPPORTED", "压缩包内的符号链接，未解压", info.file_size))
            return
        if info.flag_bits & 0x1:
            sub.files.append(_refused(rel, "FILE_ENCRYPTED", "压缩包成员设有密码，无法解压", info.file_size))
            return
        if (ratio := bomb_ratio(info, lim)) is not None:
            sub.files.append(_refused(rel, "FILE_UNREADABLE",
                                      f"压缩比 {ratio:.0f}:1 异常（上限 {lim.max_zip_ratio}:1，疑似压缩炸弹），未解压", info.file_size))
            return
        if info.file_size > budget.bytes:
            sub.files.append(_refused(rel, "FILE_UNREADABLE",
                                      f"解压后超过提交总大小上限 {lim.max_zip_total_mb} MB，未解压", info.file_size))
            return
        budget.members -= 1
        is_zip = rel_inside.lower().endswith(".zip")
        suffix = re.sub(r"[^0-9a-z]", "", PurePosixPath(rel_inside).suffix.lower())[:10]
        dest = dest_stem.with_name(dest_stem.name + (f".{suffix}" if suffix else ""))
        cap = min(budget.bytes, info.file_size)
        if self.lazy and not is_zip and zf.filename is not None:
            budget.bytes -= cap  # what unpacking it may write, at most
            sub.files.append(InputFile(rel, dest, info.file_size, identity=_member_identity(zip_identity, info),
                                       pending=(Path(zf.filename), info, cap)))
            return
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            budget.bytes -= self._extract_member(zf, info, dest, cap)
        except Exception as exc:  # noqa: BLE001 - damaged members raise many types
            dest.unlink(missing_ok=True)
            sub.files.append(_refused(rel, "FILE_UNREADABLE", _unpack_failed(exc), info.file_size))
            return
        if is_zip and not is_word_package(dest):
            self._unpack_zip(dest, rel + "/", sub, depth + 1, budget)
        else:
            sub.files.append(InputFile(rel, dest, dest.stat().st_size))

    @staticmethod
    def materialize(f: InputFile) -> None:
        """Unpack a member listed by lazy discovery; a member that fails gets its problem and no path."""
        if f.pending is None:
            return
        zpath, info, cap = f.pending
        f.pending = None
        dest = f.real_path
        assert dest is not None
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(zpath) as zf:
                f.size = Discoverer._extract_member(zf, info, dest, cap)
        except Exception as exc:  # noqa: BLE001 - damaged members raise many types
            dest.unlink(missing_ok=True)
            f.real_path = None
            f.problem = FileProblem("FILE_UNREADABLE", _unpack_failed(exc))

    @staticmethod
    def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, cap: int) -> int:
        """Stream one member to disk, stopping at `cap` bytes whatever the header claims; bytes written."""
        written = 0
        with zf.open(info) as src, open(dest, "xb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > cap:
                    raise ValueError("解压后超过大小上限")
                out.write(chunk)
        return written


def is_word_package(path: Path) -> bool:
    """Whether a file named .zip is a Word document (an OOXML package with `word/` parts) rather than
    an archive: it is then listed as a file and read by its content (FILE_TYPE_MISMATCH), not unpacked."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except Exception:  # noqa: BLE001 - a damaged zip is reported when it is unpacked
        return False
    return "[Content_Types].xml" in names and any(n.startswith("word/") for n in names)


def _unpack_failed(exc: Exception) -> str:
    return f"压缩包成员无法解压：{explain(exc, 'zip member')}"


def _identity_of(path: Path) -> tuple[int, ...] | None:
    try:
        return stat_identity(path.stat())
    except OSError:
        return None


def _regular_file(rel: str, entry: Path) -> InputFile:
    st = entry.stat()
    return InputFile(rel, entry, st.st_size, identity=stat_identity(st))


def _not_regular(entry: Path) -> FileProblem | None:
    """Links and special files (FIFOs, devices, sockets) are never opened: reading one could hang or escape."""
    try:
        mode = entry.lstat().st_mode
    except OSError as exc:
        return FileProblem("FILE_UNREADABLE", f"无法读取文件信息：{explain(exc, str(entry))}")
    if stat.S_ISLNK(mode):
        return FileProblem("FILE_UNSUPPORTED", "符号链接，为安全起见未读取")
    if not stat.S_ISREG(mode):
        return FileProblem("FILE_UNSUPPORTED", "不是普通文件（设备、管道或套接字），未读取")
    if not os.access(entry, os.R_OK):
        return FileProblem("FILE_UNREADABLE", "没有读取权限")
    return None
