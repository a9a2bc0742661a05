"""The one re-use mechanism: a cache of per-file extraction results, so a re-run re-reads only the
files that changed (a late upload costs its own files), and of values derived from them.

Derived values live under `<kind>/`, keyed by a hash of everything they are made from: a
submission's validation ("validation"), its results.json record ("output"), its page ("page"), the
great_expectations result of a batch's tables ("gx"). Input files are known by their sha256; only
that hash is remembered by the file's stat identity (`HashMemo`), so an unchanged file is neither
read nor unpacked again. No output is trusted by its stat or patched in place: a value is found by
the hash of its inputs, or made again.

An entry is keyed by the file's sha256 and its path inside the submission (provenance names the
file) under a context: the pipeline version, a fingerprint of the pipeline's own code, the versions
of the libraries the results depend on, the rules file's hash, OCR on/off and the limits. Changing any of these starts a fresh context folder. Entries
are pickles written by this tool inside the output folder; each holds its full key, which is checked
on load, so a stale, truncated or foreign entry is a miss, never a wrong result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import re
import shutil
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import atomic_write_bytes
from .model import FileResult

FORMAT = 2  # 2: SourceFile.format is the format by content, SourceFile.extension beside it
KEEP_CONTEXTS = 4  # context folders kept (e.g. runs with and without OCR); older ones are removed
# Installed libraries whose behaviour the results depend on: upgrading one starts a fresh context.
RESULT_LIBRARIES = ("python-docx", "lxml", "pdfplumber", "pdfminer.six", "pypdfium2", "Pillow", "numpy", "olefile",
                    "jieba", "pandas", "great_expectations", "XlsxWriter", "Jinja2", "MarkupSafe",
                    "rapidocr-onnxruntime", "onnxruntime")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the pipeline package's source and data files: a code change invalidates the cache."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".toml", ".json", ".txt"} and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503 normalisation


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """The installed versions of RESULT_LIBRARIES, from their `<name>-<version>.dist-info` folder
    names on sys.path (the layout the wheel format installs; the first on the path wins, as for
    imports). importlib.metadata gives the same in ~70 ms, a tenth of a run over an unchanged batch."""
    wanted = {_dist_key(name): name for name in RESULT_LIBRARIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".dist-info"):
                dist, _, version = entry[: -len(".dist-info")].partition("-")
                name = wanted.get(_dist_key(dist))
                if name is not None and name not in found:
                    found[name] = version
    return dict(sorted(found.items()))


def cache_context(rules_sha256: str, ocr: bool, limits: Any) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": __version__,
        "code": code_fingerprint(),
        "libraries": library_versions(),
        "rules_sha256": rules_sha256,
        "ocr": bool(ocr),
        "limits": dataclasses.asdict(limits) if dataclasses.is_dataclass(limits) else limits,
    }


class ResultCache:
    """FileResults on disk under `root/<context hash>/<key[:2]>/<key>.pkl`."""

    def __init__(self, root: Path, context: dict[str, Any]):
        self.context = context
        self.context_id = hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()[:24]
        self.root = root
        self.dir = root / self.context_id
        self.hits = 0
        self.misses = 0
        self.writes = 0

    def _key(self, sha256: str, display: str) -> str:
        return hashlib.sha256(f"{sha256}\0{display}".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.pkl"

    def get(self, sha256: str, display: str) -> FileResult | None:
        path = self._path(self._key(sha256, display))
        try:
            with open(path, "rb") as fh:
                entry = pickle.load(fh)
            ok = (isinstance(entry, dict) and entry.get("context") == self.context and entry.get("sha256") == sha256
                  and entry.get("display") == display and isinstance(entry.get("result"), FileResult)
                  and entry["result"].source.sha256 == sha256)
        except FileNotFoundError:
            ok, entry = False, None
        except Exception:  # noqa: BLE001 - a damaged entry is a miss
            ok, entry = False, None
            with contextlib.suppress(OSError):
                path.unlink()
        if not ok:
            self.misses += 1
            return None
        self.hits += 1
        return entry["result"]

    def put(self, sha256: str, display: str, result: FileResult) -> None:
        path = self._path(self._key(sha256, display))
        entry = {"context": self.context, "sha256": sha256, "display": display, "result": result}
        if _write_entry(path, entry):
            self.writes += 1

    def _value_path(self, kind: str, key: str) -> Path:
        return self.dir / kind / key[:2] / f"{key}.pkl"

    def get_value(self, kind: str, key: str) -> Any | None:
        """A derived value stored under (kind, key), or None; a damaged or foreign entry is a miss."""
        path = self._value_path(kind, key)
        try:
            with open(path, "rb") as fh:
                entry = pickle.load(fh)
            if isinstance(entry, dict) and entry.get("context") == self.context and entry.get("kind") == kind \
                    and entry.get("key") == key:
                return entry["value"]
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry is a miss
            with contextlib.suppress(OSError):
                path.unlink()
        return None

    def put_value(self, kind: str, key: str, value: Any) -> None:
        path = self._value_path(kind, key)
        _write_entry(path, {"context": self.context, "kind": kind, "key": key, "value": value})

    def prune(self) -> None:
        """Keep the few most recently used contexts; drop left-over temp files of killed runs."""
        with contextlib.suppress(OSError):
            os.utime(self.dir)
        try:
            contexts = [p for p in self.root.iterdir() if p.is_dir() and _is_context_id(p.name)]
        except OSError:
            return
        contexts.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in contexts[KEEP_CONTEXTS:]:
            if old != self.dir:
                shutil.rmtree(old, ignore_errors=True)
        for tmp in [*self.dir.glob("*/.*.tmp"), *self.dir.glob("*/*/.*.tmp")]:
            with contextlib.suppress(OSError):
                tmp.unlink()


class HashMemo:
    """sha256 of input files by their stat identity (`discover.stat_identity`), kept between runs
    in `root/hashes.json`, so a re-run neither reads nor unpacks a file it has seen unchanged.

    Only identities whose mtime and ctime are older than `RACY_SECONDS` when saved are kept: a file
    written again within the same clock tick as it was read could keep its identity (git calls such
    index entries "racily clean"). The file holds this run's entries only.
    """

    NAME = "hashes.json"
    RACY_SECONDS = 2

    def __init__(self, root: Path):
        self.path = root / self.NAME
        self._old: dict[str, str] = {}
        self._seen: dict[str, tuple[tuple[int, ...], str]] = {}
        self.hits = 0
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text("utf-8"))
            if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("entries"), dict):
                self._old = {k: v for k, v in data["entries"].items() if isinstance(v, str)}

    @staticmethod
    def _key(identity: tuple[int, ...]) -> str:
        return ":".join(map(str, identity))

    def get(self, identity: tuple[int, ...] | None) -> str | None:
        if identity is None:
            return None
        key = self._key(identity)
        digest = self._old.get(key)
        if digest is not None:
            self.hits += 1
            self._seen[key] = (identity, digest)
        return digest

    def peek(self, identity: tuple[int, ...] | None) -> str | None:
        """The sha256 the memo holds for this identity, counting and keeping nothing."""
        return self._old.get(self._key(identity)) if identity is not None else None

    def put(self, identity: tuple[int, ...] | None, digest: str) -> None:
        if identity is not None:
            self._seen[self._key(identity)] = (identity, digest)

    def save(self, now_ns: int | None = None) -> None:
        """Write this run's entries (a full disk or unwritable folder only costs the memo)."""
        settled = (now_ns if now_ns is not None else time.time_ns()) - self.RACY_SECONDS * 1_000_000_000
        entries = {k: d for k, (ident, d) in self._seen.items() if max(ident[3], ident[4]) < settled}
        if entries == self._old:
            return
        with contextlib.suppress(OSError):
            atomic_write_bytes(self.path, json.dumps({"format": FORMAT, "entries": entries}).encode("utf-8"))


def _is_context_id(name: str) -> bool:
    """Context folders are 24 hex digits; other folders under the cache root (jieba's) are not ours to prune."""
    return len(name) == 24 and all(ch in "0123456789abcdef" for ch in name)


def _write_entry(path: Path, entry: dict[str, Any]) -> bool:
    """Pickle `entry` to `path` atomically; a full disk or unwritable folder only costs the cache."""
    try:
        atomic_write_bytes(path, pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL))
        return True
    except OSError:
        return False
