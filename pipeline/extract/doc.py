"""OLE files: legacy Word .doc (converted with LibreOffice, then read as DOCX) or encrypted OOXML.

Office saves a password-protected .docx as an OLE container holding `EncryptionInfo` and
`EncryptedPackage` streams; a legacy .doc with a password sets fEncrypted in its FIB. Both are
FILE_ENCRYPTED. A plain .doc is converted in a private LibreOffice profile (so parallel workers do
not clash), under the per-file time limit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..model import Layout

_ENCRYPTED_STREAMS = ("EncryptionInfo", "EncryptedPackage")
_FIB_FLAGS_OFFSET = 0x0A
_FIB_ENCRYPTED = 0x0100
_NO_SOFFICE = "无法读取旧版 Word（.doc）文件：未找到 LibreOffice，请安装 LibreOffice（soffice）后重试，或将文件另存为 .docx"


def ole_encryption(path: Path) -> bool:
    """Whether an OLE file is an encrypted OOXML package or a password-protected .doc."""
    try:
        import olefile
    except ImportError:
        olefile = None
    if olefile is not None:
        try:
            with olefile.OleFileIO(str(path)) as ole:
                streams = {"/".join(s) for s in ole.listdir(streams=True, storages=False)}
                if any(name in streams for name in _ENCRYPTED_STREAMS):
                    return True
                if ole.exists("WordDocument"):
                    head = ole.openstream("WordDocument").read(_FIB_FLAGS_OFFSET + 2)
                    if len(head) >= _FIB_FLAGS_OFFSET + 2:
                        flags = int.from_bytes(head[_FIB_FLAGS_OFFSET:_FIB_FLAGS_OFFSET + 2], "little")
                        return bool(flags & _FIB_ENCRYPTED)
                return False
        except Exception:  # noqa: BLE001 - a damaged OLE file: fall back to a byte search
            pass
    data = path.read_bytes()
    return any(name.encode("utf-16-le") in data for name in _ENCRYPTED_STREAMS)


def find_soffice(options) -> str | None:
    if options.soffice:
        return options.soffice if Path(options.soffice).exists() or shutil.which(options.soffice) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(path: Path, soffice: str, timeout_s: float, workdir: Path) -> Path:
    """Convert a .doc into `workdir` with a private LibreOffice profile; returns the .docx path."""
    from .errors import ExtractionError

    src = workdir / "input.doc"
    shutil.copyfile(path, src)
    profile = workdir / "profile"
    out = workdir / "out"
    out.mkdir()
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
           "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "HOME": str(workdir)})
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise ExtractionError("FILE_UNREADABLE", f"LibreOffice 转换 .doc 超时（{timeout_s:.0f} 秒），文件可能已损坏") from exc
    result = out / "input.docx"
    if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
        raise ExtractionError("FILE_UNREADABLE", "LibreOffice 无法转换该 .doc 文件，文件可能已损坏"
                              + (f"（{detail[0][:120]}）" if detail else ""))
    return result


def read_ole(path: Path, display: str, options) -> Layout:
    """Read an OLE file: FILE_ENCRYPTED for protected files, else convert .doc → .docx and read that."""
    from .docx import read_docx
    from .errors import ExtractionError

    if ole_encryption(path):
        raise ExtractionError("FILE_ENCRYPTED", "文件已加密（设置了打开密码），无法读取内容，请提交未加密的文件")
    soffice = find_soffice(options)
    if soffice is None:
        raise ExtractionError("FILE_UNREADABLE", _NO_SOFFICE)
    with tempfile.TemporaryDirectory(prefix="pipeline-doc-") as tmp:
        converted = convert_to_docx(path, soffice, options.limits.file_timeout_s, Path(tmp))
        layout = read_docx(converted, display, options)
    layout.format = "doc"
    return layout
