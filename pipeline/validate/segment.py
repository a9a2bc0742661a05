"""Chinese word segmentation with jieba, taught the call's domain terms.

Plain jieba splits 元宇宙 into 元/宇宙 and 数字孪生产线 into 数字/孪/生产线, so keyword coverage
would miss them; the rules file's `[segmentation] user_terms` are added with a high frequency.
One private `jieba.Tokenizer` per process (and per term list), so jieba's global default tokenizer
is left as it was, and its dictionary cache goes to a directory we know is writable: the one set by
`set_cache_dir` (a run puts it in its cache folder, so it survives between runs), else the temp folder.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import jieba

# High enough that a domain term wins over the general dictionary's split of the same characters
# (数字孪生 + 产线 rather than 数字 + 孪 + 生产线), low enough not to swallow neighbouring words.
USER_TERM_FREQ = 100_000

_LOCK = threading.Lock()
_TOKENIZERS: dict[tuple[str, ...], jieba.Tokenizer] = {}
_CACHE_DIR: list[Path] = []  # the folder set by set_cache_dir, if any

# jieba's block pattern (jieba.re_han_default without its group): `Tokenizer.cut` runs its DAG on
# each run of these characters; every other character is a token of its own ("\r\n" is one token).
HAN_BLOCK = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def set_cache_dir(path: Path | None) -> None:
    """Where tokenizers built from now on keep jieba's dictionary cache (None: the temp folder)."""
    _CACHE_DIR[:] = [Path(path)] if path is not None else []


def _cache_dir() -> str:
    """A writable folder for jieba's dictionary cache (it would otherwise try the system temp dir)."""
    preferred = _CACHE_DIR[0] if _CACHE_DIR else Path(tempfile.gettempdir()) / "pipeline-jieba"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return str(preferred)
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="pipeline-jieba-")


def tokenizer(user_terms: tuple[str, ...], extra_terms: tuple[str, ...] = ()) -> jieba.Tokenizer:
    """The process-wide tokenizer for these term lists, built on first use."""
    key = user_terms + ("\0",) + extra_terms
    tk = _TOKENIZERS.get(key)
    if tk is not None:
        return tk
    with _LOCK:
        tk = _TOKENIZERS.get(key)
        if tk is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.tmp_dir = _cache_dir()
            _initialize(tk)
            for term in extra_terms:  # synonyms: just enough frequency to be cut out whole
                if term.strip() and tk.FREQ.get(term, 0) == 0:
                    tk.add_word(term.strip())
            for term in user_terms:
                if term.strip():
                    tk.add_word(term.strip(), freq=USER_TERM_FREQ)
            _TOKENIZERS[key] = tk
    return tk


def _initialize(tk: jieba.Tokenizer) -> None:
    """`tk.initialize()`, pointing jieba at the default dictionary's cache that `prebuild` made when
    the pipeline was installed, when the tokenizer's own folder (`tk.tmp_dir`) has none yet and that
    file is newer than jieba's dictionary (jieba skips this check for its default dictionary; this
    file may outlive an upgrade of jieba). jieba reads the cache file itself; with no usable one, it
    builds the dictionary (~0.7 s) and writes its cache file where it looked for it."""
    installed = installed_dictionary_cache()
    if (tk.dictionary == jieba.DEFAULT_DICT and not (Path(tk.tmp_dir) / _JIEBA_CACHE).is_file()
            and _newer_than_dictionary(installed)):
        tk.tmp_dir, tk.cache_file = str(installed.parent), installed.name
    tk.initialize()


_JIEBA_CACHE = "jieba.cache"  # jieba's name for its default dictionary's cache


def installed_dictionary_cache() -> Path:
    """Where `prebuild` puts the default dictionary's cache: inside the Python environment the pipeline
    is installed in (a venv's own folder), next to its bytecode in spirit: made once at install time."""
    return Path(sys.prefix) / "share" / "pipeline" / _JIEBA_CACHE


def _newer_than_dictionary(path: Path) -> bool:
    try:
        return path.stat().st_mtime > os.stat(_dictionary_file()).st_mtime
    except OSError:
        return False


def _dictionary_file() -> str:
    return os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME)


def prebuild(dest: Path | None = None) -> Path:
    """Build jieba's default dictionary once and keep it at `dest` (default: installed_dictionary_cache()),
    so that a run in a fresh output folder reads it instead of building it (0.7 s of CPU). `make setup`
    runs this, as it compiles the bytecode. jieba itself writes the file (atomically, in its format)."""
    jieba.setLogLevel(logging.WARNING)
    dest = dest or installed_dictionary_cache()
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)  # jieba would load an existing file rather than build
    tk = jieba.Tokenizer()
    tk.tmp_dir, tk.cache_file = str(dest.parent), dest.name
    tk.initialize()
    if not dest.is_file():  # jieba logs a failed write and goes on
        raise OSError(f"jieba did not write its dictionary cache to {dest}")
    os.chmod(dest, 0o644)
    return dest


def segment(text: str, tk: jieba.Tokenizer) -> list[Token]:
    """Tokens of `text` with character offsets; whitespace tokens dropped.

    HMM off: unknown words then come out as single characters, which keeps the token boundaries
    predictable for keyword matching (a synonym matches a run of whole consecutive tokens).
    """
    return [Token(w, s, e) for w, s, e in cut_no_hmm(text, tk) if w.strip()]


def block_cuts(block: str, tk: jieba.Tokenizer) -> list[int]:
    """Token boundaries of one `HAN_BLOCK` run as jieba's HMM-off cut makes them: 0, ..., len(block).

    jieba cuts each run of `HAN_BLOCK` characters on its own, so a block's tokens are the same
    whether it is cut alone or inside its text. `block` must be a whole `HAN_BLOCK` match (or empty).
    """
    return [0, *(e for _, _, e in tk.tokenize(block, HMM=False))]


def cut_no_hmm(text: str, tk: jieba.Tokenizer) -> list[tuple[str, int, int]]:
    """`list(tk.tokenize(text, HMM=False))`: (word, start, end), whitespace tokens included."""
    return list(tk.tokenize(text, HMM=False))
