"""Chinese word segmentation with jieba, taught the call's domain terms.

Plain jieba splits 元宇宙 into 元/宇宙 and 数字孪生产线 into 数字/孪/生产线, so keyword coverage
would miss them; the rules file's `[segmentation] user_terms` are added with a high frequency.
One private `jieba.Tokenizer` per process (and per term list), so jieba's global default tokenizer
is left as it was, and its dictionary cache goes to a directory we know is writable: the one set by
`set_cache_dir` (a run puts it in its cache folder, so it survives between runs), else the temp folder.
"""

from __future__ import annotations

import logging
import marshal
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass
from math import log
from pathlib import Path
from typing import TYPE_CHECKING

from ..lazy import defer_imports

if TYPE_CHECKING:  # imported on first use: a warm run answered from the cache never segments
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
# jieba.re_eng: single-character route words from this set are joined into one token.
_ENG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_MEMO_ATTR = "_pipeline_logp"  # on the tokenizer: (total, log(total), {freq: log(freq) - log(total)})


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
            jieba = _import_jieba()

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
    """`tk.initialize()`, reading the default dictionary from a cache file when there is one: the one
    jieba writes into `tk.tmp_dir` on its first build, else the one `prebuild` made when the pipeline
    was installed. Either is read in one piece: jieba's own `marshal.load` on the open file makes a
    read call per object and takes as long as building the dictionary (~0.65 s), `marshal.loads` of
    the bytes ~0.2 s. A missing, damaged or stale file is passed over; with none left, jieba builds
    the dictionary (and writes its cache file into `tk.tmp_dir`)."""
    if tk.dictionary == _import_jieba().DEFAULT_DICT:
        for path in (Path(tk.tmp_dir) / _JIEBA_CACHE, installed_dictionary_cache()):
            loaded = _read_dictionary_cache(path)
            if loaded is not None:
                with tk.lock:
                    tk.FREQ, tk.total = loaded
                    tk.initialized = True
                return
    tk.initialize()


_JIEBA_CACHE = "jieba.cache"  # jieba's name for its default dictionary's cache


def installed_dictionary_cache() -> Path:
    """Where `prebuild` puts the default dictionary's cache: inside the Python environment the pipeline
    is installed in (a venv's own folder), next to its bytecode in spirit: made once at install time."""
    return Path(sys.prefix) / "share" / "pipeline" / _JIEBA_CACHE


def _read_dictionary_cache(path: Path) -> tuple[dict[str, int], int] | None:
    """(FREQ, total) from a cache file of jieba's format, or None if it is missing, damaged, or not
    newer than jieba's dictionary (jieba itself skips that check for its default dictionary, whose
    cache lives in a temp folder; this one may outlive an upgrade of jieba)."""
    try:
        if path.stat().st_mtime <= os.stat(_dictionary_file()).st_mtime:
            return None
        freq, total = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(freq, dict) and freq and isinstance(total, int) and total > 0:
        return freq, total
    return None


def _dictionary_file() -> str:
    jieba = _import_jieba()
    return os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME)


def prebuild(dest: Path | None = None) -> Path:
    """Build jieba's default dictionary once and keep it at `dest` (default: installed_dictionary_cache()),
    so that a run in a fresh output folder reads it instead of building it (0.7 s of CPU). `make setup`
    runs this, as it compiles the bytecode. jieba itself writes the file (atomically, in its format)."""
    jieba = _import_jieba()
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


def _import_jieba():
    """jieba, without the pkg_resources import it makes at start-up only to open its dictionary
    (read from the cache instead, when there is one; else pkg_resources loads then)."""
    if "jieba" not in sys.modules:
        defer_imports(("pkg_resources",))
    import jieba

    return jieba


def segment(text: str, tk: jieba.Tokenizer) -> list[Token]:
    """Tokens of `text` with character offsets; whitespace tokens dropped.

    HMM off: unknown words then come out as single characters, which keeps the token boundaries
    predictable for keyword matching (a synonym matches a run of whole consecutive tokens).
    The tokens are those of `tk.tokenize(text, HMM=False)`, computed by `cut_no_hmm`.
    """
    return [Token(w, s, e) for w, s, e in cut_no_hmm(text, tk) if w.strip()]


def _log_probs(tk: jieba.Tokenizer) -> tuple[float, dict[int, float]]:
    """log(total) and the tokenizer's memo of log(freq) - log(total), keyed by frequency.

    Keyed by the frequency (not the word) and kept with the total it was computed for, so a word
    added or re-weighted later (add_word changes FREQ and total) never reads a stale value.
    """
    memo = getattr(tk, _MEMO_ATTR, None)
    total = tk.total
    if memo is None or memo[0] != total:
        memo = (total, log(total), {})
        setattr(tk, _MEMO_ATTR, memo)
    return memo[1], memo[2]


def block_cuts(block: str, tk: jieba.Tokenizer) -> list[int]:
    """Token boundaries of one `HAN_BLOCK` run as jieba's HMM-off cut makes them: 0, ..., len(block).

    jieba's `get_DAG` + `calc` + `__cut_DAG_NO_HMM` fused into one right-to-left pass, with the same
    floating-point operations in the same order, so the chosen route is the same bit for bit:
    for each position, every dictionary word starting there (nonzero FREQ, found while the growing
    prefix is in FREQ) scores (log(freq) - log(total)) + best[end]; the max of (score, end) wins,
    a tie going to the longer word; with no such word the single character scores
    (log(1) - log(total)) + best[idx + 1]. Then consecutive single-character ASCII letters/digits
    are joined into one token. `block` must be a whole `HAN_BLOCK` match (or empty).
    """
    n = len(block)
    if not n:
        return [0]
    tk.check_initialized()
    freq = tk.FREQ
    logtotal, memo = _log_probs(tk)
    try:
        fallback = memo[1]
    except KeyError:
        fallback = memo[1] = log(1) - logtotal
    score: list[float] = [0.0] * n + [0]  # jieba: route[N] = (0, 0)
    end = list(range(n))  # end[idx]: index of the last character of the word chosen at idx
    for idx in range(n - 1, -1, -1):
        best = None
        bx = idx
        i = idx
        frag = block[idx]
        while frag in freq:  # every prefix of a dictionary word is in FREQ (with 0 if not a word)
            f = freq[frag]
            if f:
                try:
                    w = memo[f]
                except KeyError:
                    w = memo[f] = log(f) - logtotal
                s = w + score[i + 1]
                if best is None or s >= best:  # ascending ends: on equal scores the larger end wins
                    best = s
                    bx = i
            i += 1
            if i == n:
                break
            frag = block[idx:i + 1]
        score[idx] = fallback + score[idx + 1] if best is None else best
        end[idx] = bx
    cuts = [0]
    x = 0
    in_eng = False  # inside a run of single ASCII letters/digits (jieba's `buf`)
    while x < n:
        y = end[x] + 1
        if y == x + 1 and block[x] in _ENG:
            in_eng = True
        else:
            if in_eng:
                cuts.append(x)
                in_eng = False
            cuts.append(y)
        x = y
    if in_eng:
        cuts.append(n)
    return cuts


def cut_no_hmm(text: str, tk: jieba.Tokenizer) -> list[tuple[str, int, int]]:
    """Exactly `list(tk.tokenize(text, HMM=False))`: (word, start, end), whitespace tokens included.

    As jieba's `cut`: each `HAN_BLOCK` run is cut by `block_cuts`; outside them every character is
    a token of its own, except that "\r\n" is one token.
    """
    if not isinstance(text, str):
        raise ValueError("jieba: the input parameter should be unicode.")
    out: list[tuple[str, int, int]] = []
    append = out.append
    pos = 0
    for m in HAN_BLOCK.finditer(text):
        a, b = m.span()
        _cut_other(text, pos, a, append)
        block = m.group()
        cuts = block_cuts(block, tk)
        prev = 0
        for c in cuts[1:]:
            append((block[prev:c], a + prev, a + c))
            prev = c
        pos = b
    _cut_other(text, pos, len(text), append)
    return out


def _cut_other(text: str, a: int, b: int, append) -> None:
    """jieba's tokens for text[a:b], a stretch with no `HAN_BLOCK` character."""
    i = a
    while i < b:
        if text[i] == "\r" and i + 1 < b and text[i + 1] == "\n":
            append(("\r\n", i, i + 2))
            i += 2
        else:
            append((text[i], i, i + 1))
            i += 1
