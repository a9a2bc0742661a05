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
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on first use: a warm run answered from the cache never segments
    import jieba

# High enough that a domain term wins over the general dictionary's split of the same characters
# (数字孪生 + 产线 rather than 数字 + 孪 + 生产线), low enough not to swallow neighbouring words.
USER_TERM_FREQ = 100_000

_LOCK = threading.Lock()
_TOKENIZERS: dict[tuple[str, ...], jieba.Tokenizer] = {}
_CACHE_DIR: list[Path] = []  # the folder set by set_cache_dir, if any


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
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()
            tk.tmp_dir = _cache_dir()
            tk.initialize()
            for term in extra_terms:  # synonyms: just enough frequency to be cut out whole
                if term.strip() and tk.FREQ.get(term, 0) == 0:
                    tk.add_word(term.strip())
            for term in user_terms:
                if term.strip():
                    tk.add_word(term.strip(), freq=USER_TERM_FREQ)
            _TOKENIZERS[key] = tk
    return tk


def segment(text: str, tk: jieba.Tokenizer) -> list[Token]:
    """Tokens of `text` with character offsets; whitespace tokens dropped.

    HMM off: unknown words then come out as single characters, which keeps the token boundaries
    predictable for keyword matching (a synonym matches a run of whole consecutive tokens).
    """
    return [Token(w, s, e) for w, s, e in tk.tokenize(text, HMM=False) if w.strip()]
