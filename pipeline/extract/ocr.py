"""OCR of scanned pages with rapidocr-onnxruntime (PP-OCR models shipped in the wheel, offline).

The engine is created once per process (lazy singleton): loading the models costs ~0.5 s and
each worker process reuses it for every page. Its onnxruntime sessions run on the worker's share of
the cores (`PIPELINE_THREADS`, set by the worker pool: cores // workers), without a memory arena
(memory goes back after each page) and without spinning threads; a session that fails raises
`OcrError`, which the PDF backend reports as an unread page (EXTRACTION_INCOMPLETE), never as an
unreadable file or a missing OCR engine. A page is straightened first (`straighten`): turned
upright when it was scanned sideways or upside down (one text detection on a small copy and the
angle classifier on a few lines), then levelled by the skew of its ruling lines, or of its text
lines when it has none; the PDF backend notes what was done per page. It is read from its red
channel (a red stamp fades into the paper, black text under it stays), and returned as characters
with boxes plus the table ruling lines found in the image, so the PDF backend rebuilds lines, cells and paragraphs exactly as for a text PDF. Checkboxes are
judged from the image itself (ink inside a small square next to a label), because recognisers
read an empty box as 口 and a ticked one as 区 or drop it.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import math
import os
import threading
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..explain import explain
from ..workers import thread_budget
from .ocrfix import fix_text
from .scanboxes import DrawnBox as DrawnBox  # re-exported: tests and callers know them as ocr.*
from .scanboxes import OcrChar, find_boxes, mark_checkboxes

# Pixels darker than this (0-255, red channel) are ink.
_INK = 140

log = logging.getLogger(__name__)

_engine = None
_engine_error: str | None = None  # why the OCR extra cannot be imported
_lock = threading.Lock()
# For tests of the failure paths: "error" makes every page's recognition raise as a failing
# onnxruntime session does, "crash" kills the process as a native fault would (SIGABRT).
FAULT_ENV = "PIPELINE_OCR_FAULT"


class OcrError(RuntimeError):
    """The OCR engine failed (could not start, or failed on a page): the page is unread."""


def threads() -> int:
    """Threads the OCR engine may use: the worker's share of the cores (PIPELINE_THREADS), else all."""

    return thread_budget()


def _session_options(base, n: int):
    """rapidocr's SessionOptions factory, wrapped: `n` intra-op threads, one inter-op thread, no CPU
    memory arena (what a page used is freed, so a resident-memory cap sees the real use), and pool
    threads that sleep instead of spinning while they wait (no CPU taken from the other workers)."""

    def init(config):
        so = base(config)
        so.intra_op_num_threads = n
        so.inter_op_num_threads = 1
        so.enable_cpu_mem_arena = False
        try:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            so.add_session_config_entry("session.inter_op.allow_spinning", "0")
        except Exception:  # noqa: BLE001 - an onnxruntime without these keys: spinning stays on
            pass
        return so

    return init


def _create_engine():
    from rapidocr_onnxruntime import RapidOCR

    n = threads()
    # rapidocr exposes only the thread counts; its session factory is wrapped while the engine's three
    # sessions are made (get_engine holds the lock), then put back.
    try:
        from rapidocr_onnxruntime.utils import infer_engine

        base = infer_engine.OrtInferSession.__dict__.get("_init_sess_opts")
        base = base.__func__ if isinstance(base, staticmethod) else None
    except Exception:  # noqa: BLE001 - another rapidocr layout: its thread options still apply
        base, infer_engine = None, None
    if base is not None:
        infer_engine.OrtInferSession._init_sess_opts = staticmethod(_session_options(base, n))  # noqa: SLF001
    try:
        engine = RapidOCR(intra_op_num_threads=n, inter_op_num_threads=1)
    finally:
        if base is not None:
            infer_engine.OrtInferSession._init_sess_opts = staticmethod(base)  # noqa: SLF001
    try:
        import cv2

        cv2.setNumThreads(n)
    except Exception:  # noqa: BLE001 - OpenCV's own pool keeps its default size
        pass
    return engine


def get_engine():
    """The process-wide RapidOCR engine, or None when the OCR extra is not installed.

    Raises OcrError when the engine is installed but cannot start (e.g. no memory for its models);
    that is not remembered, so the next scanned file tries again."""
    global _engine, _engine_error
    if _engine is not None or _engine_error is not None:
        return _engine
    with _lock:
        if _engine is None and _engine_error is None:
            try:
                import rapidocr_onnxruntime  # noqa: F401
            except ImportError as exc:  # the OCR extra is not installed: no OCR
                _engine_error = f"{type(exc).__name__}: {exc}"
                return None
            try:
                _engine = _create_engine()
            except Exception as exc:
                raise OcrError(f"OCR 引擎无法启动：{explain(exc)}") from exc
    return _engine


_libc = None


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc's malloc_trim) after a page. Without the
    arena, onnxruntime's buffers come from malloc; the freed ones stayed resident (a worker held ~660 MB
    between pages of a scan and peaked ~1.1 GB; with the trim ~220 MB and ~850 MB)."""
    global _libc
    if _libc is False:
        return
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None)
        _libc.malloc_trim(0)
    except Exception:  # noqa: BLE001 - not glibc: the allocator keeps its pages
        _libc = False


def engine_available() -> bool:
    """Whether the OCR extra is installed (its models are loaded with the first page)."""
    global _engine_error
    if _engine is not None:
        return True
    if _engine_error is not None:
        return False
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError as exc:
        _engine_error = f"{type(exc).__name__}: {exc}"
        return False
    return True


@dataclass
class OcrBox:
    """One box as the recogniser returns it (axis-aligned), with per-character boxes."""

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float
    chars: list[OcrChar] = field(default_factory=list)

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass
class Scan:
    """What one scanned page yields: characters and ruling lines, in image pixels."""

    chars: list[OcrChar]
    h_rules: list[tuple[float, float, float]]  # x0, x1, y
    v_rules: list[tuple[float, float, float]]  # top, bottom, x


def _quad_bbox(quad) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return min(xs), min(ys), max(xs), max(ys)


def _char_boxes(text: str, quads, bbox, conf: float, index: int) -> list[OcrChar]:
    """Per-character boxes from the recogniser, or an even split of the box when it gave none."""
    if quads and len(quads) == len(text):
        boxes = [_quad_bbox(q) for q in quads]
        y0, y1 = bbox[1], bbox[3]
        return [OcrChar(ch, (b[0], y0, b[2], y1), conf, index) for ch, b in zip(text, boxes, strict=True)]
    x0, y0, x1, y1 = bbox
    step = (x1 - x0) / max(1, len(text))
    return [
        OcrChar(ch, (x0 + i * step, y0, x0 + (i + 1) * step, y1), conf, index) for i, ch in enumerate(text)
    ]


# Longest side (pixels) of the page as the recogniser reads its lines: rapidocr's `max_side_len`
# (a 200-dpi A4 page, 2339 pixels high, is read at 2000). Lines cut from the page at full
# resolution instead read fewer fields exact on the scanned samples (223 of 228 against 227).
REC_SIDE = 2000
# Longest side (pixels) of the copy the text detector sees; rapidocr's own call detects on the page
# as the recogniser reads it (REC_SIDE). A smaller copy is faster but finds the lines' ends less
# exactly, and the recogniser then reads more characters differently: on the scanned samples
# (benchmarks/bench_ocr_settings.py, docs/scans.md) 1280 read 1.33x the pages per second and 221
# of 228 fields exact against 227, 1600 219, 1024 214. So the detector sees what rapidocr's does.
DET_SIDE = 2000


def _shrink(arr: np.ndarray, s: float) -> np.ndarray:
    """`arr` scaled by `s` (area-averaged) when `s` < 1, else `arr` itself."""
    import cv2

    if s >= 1.0:
        return arr
    h, w = arr.shape[:2]
    return cv2.resize(arr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _fit(arr: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """`arr` reduced so that its longest side is at most `side`, and the scale."""
    s = min(1.0, side / max(*arr.shape[:2], 1))
    return _shrink(arr, s), s


def _read(engine, page: np.ndarray) -> list:
    """rapidocr's steps on a page (detect, cut, classify, recognise, per-character boxes), with
    detection on a copy at most `DET_SIDE` pixels a side: rapidocr's own results format
    ([quad, text, score, character quads, …] per line, at least `text_score` confident), in the
    page's pixels."""
    from rapidocr_onnxruntime.utils.process_img import reduce_max_side

    # The page as rapidocr reduces it (its own function: the same pixels as its own call reads).
    arr, ratio_h, ratio_w = reduce_max_side(page, REC_SIDE) if max(page.shape[:2]) > REC_SIDE else (page, 1.0, 1.0)
    back = np.array([ratio_w, ratio_h], dtype=np.float32)  # to the page's pixels
    small, det_scale = _fit(arr, DET_SIDE)
    quads, _ = engine.text_det(small)
    if quads is None or len(quads) == 0:
        return []
    h, w = arr.shape[:2]
    quads = np.asarray(quads, dtype=np.float32) / np.float32(det_scale)
    quads[..., 0] = np.clip(quads[..., 0], 0, w - 1)
    quads[..., 1] = np.clip(quads[..., 1], 0, h - 1)
    quads = engine.sorted_boxes(quads)
    crops = engine.get_crop_img_list(arr, quads)
    crops, _, _ = engine.text_cls(crops)
    rec, _ = engine.text_rec(crops, True)
    rec = engine.cal_rec_boxes(crops, quads, rec)
    out = []
    for quad, (text, score, words, *rest) in zip(quads, rec, strict=True):
        if float(score) < engine.text_score:
            continue
        if words is not None and len(words):
            words = (np.asarray(words, dtype=np.float32) * back).astype(np.int32).tolist()
        out.append([(quad * back).tolist(), text, score, words, *rest])
    return out


def recognise(img: Image.Image) -> list[OcrBox]:
    """Raw OCR boxes of an image (pixel coordinates); [] when nothing is found."""
    engine = get_engine()
    if engine is None:
        raise RuntimeError(_engine_error or "OCR engine unavailable")
    fault = os.environ.get(FAULT_ENV)
    if fault == "crash":
        os.abort()
    try:
        if fault == "error":
            raise RuntimeError(f"Traceback (most recent call last):\n  {FAULT_ENV}=error\n"
                               "[ONNXRuntimeError] : 1 : FAIL : std::bad_alloc")
        result = _read(engine, np.asarray(img.convert("RGB")))
    except MemoryError:
        raise
    except Exception as exc:  # rapidocr wraps an onnxruntime failure with its traceback as the message
        raise OcrError(f"OCR 引擎出错：{explain(exc)}") from exc
    finally:
        release_memory()
    boxes = []
    for item in result or []:
        quad, text, score = item[0], fix_text(str(item[1])), float(item[2])
        words = item[3] if len(item) > 3 else None
        if not text.strip():
            continue
        bbox = _quad_bbox(quad)
        chars = _char_boxes(text, words, bbox, score, len(boxes))
        while chars and not chars[0].text.strip():
            chars.pop(0)
        while chars and not chars[-1].text.strip():
            chars.pop()
        boxes.append(OcrBox(text.strip(), bbox, score, chars))
    return boxes


# ---------------------------------------------------------------------------------------------
# Page geometry: skew and ruling lines


def _long_runs(dark: np.ndarray, horizontal: bool, min_len: int):
    """Connected pieces of ink at least `min_len` long along one axis (ruling lines)."""
    import cv2

    k = cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1) if horizontal else (1, min_len))
    mask = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return n, labels, stats


def _rule_skew(img: Image.Image, min_share: float = 1 / 6) -> float | None:
    """Skew from the horizontal ruling lines at least `min_share` of the page wide, or None when the
    page has none."""
    gray = np.asarray(img.convert("L"))
    dark = gray < _INK
    min_len = max(40, gray.shape[1] // 30)
    n, labels, stats = _long_runs(dark, True, min_len)
    angles, weights = [], []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < gray.shape[1] * min_share or h > max(12, w // 20):
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        if len(xs) < 20:
            continue
        slope = np.polyfit(xs.astype(float), ys.astype(float), 1)[0]
        angles.append(math.degrees(math.atan(slope)))
        weights.append(w)
    if not angles:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


# Shorter side (pixels) of the copy of a page the orientation and skew detection sees: text 10.5 pt
# at 200 dpi is ~13 px high there, enough for the detector, and one detection costs ~0.3 s.
_ORIENT_SIDE = 736
# Text-line skew smaller than this (degrees) is left alone: below the boxes' precision, and the
# recogniser reads it as is. Ruling lines are precise to ~0.05 degrees (0.08 applies to them).
_TEXT_SKEW_MIN = 0.3
_MAX_SKEW = 5.0
# Lines whose direction the angle classifier votes on (the longest ones), and the longest crop it
# sees, in line heights (its input is 48 x 192: a longer crop is squeezed unreadable).
_VOTE_LINES = 8
# Fewest text lines (twice as long as high) a page needs before it is turned.
_MIN_LINES = 3
_VOTE_CROP = 8
# PIL's transpose that turns a page clockwise by the key (degrees).
_TURN = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


@dataclass
class Straightened:
    """A page image upright and level, and what was done to it."""

    image: Image.Image
    turn: int = 0  # degrees turned clockwise before reading: 0, 90, 180 or 270
    skew: float = 0.0  # degrees of skew undone (after the turn)
    by_rules: bool = False  # the skew was measured on ruling lines (else on text lines)

    def note(self, page: int) -> str | None:
        """Chinese note for the report (第2页已自动旋转90°…), or None when little was done."""
        done = []
        if self.turn:
            done.append(f"已自动旋转{self.turn}°（顺时针）")
        if abs(self.skew) >= 0.5:
            done.append(f"已校正倾斜{abs(self.skew):.1f}°")
        if not done:
            return None
        return f"第{page}页为扫描页，方向或角度不正：" + "，".join(done) + "后识别"


def _red(img: Image.Image) -> np.ndarray:
    """The red channel (a red stamp fades into the paper, black text under it stays)."""
    return np.asarray(img.convert("RGB"))[..., 0]


def _text_lines(red: np.ndarray) -> tuple[list[tuple[float, float, float, float, float]], float]:
    """Text boxes of the detector on a small copy of the page: (cx, cy, long, short, angle) in the
    page's pixels, angle of the long edge in degrees (image y down, -90..90], and the scale used."""
    engine = get_engine()
    if engine is None:
        raise RuntimeError(_engine_error or "OCR engine unavailable")
    s = min(1.0, _ORIENT_SIDE / max(1, min(red.shape)))
    small = _shrink(red, s)
    try:
        quads, _ = engine.text_det(np.ascontiguousarray(np.stack([small] * 3, axis=-1)))
    except MemoryError:
        raise
    except Exception as exc:
        raise OcrError(f"OCR 引擎出错：{explain(exc)}") from exc
    out = []
    for q in quads if quads is not None else []:
        q = np.asarray(q, dtype=float) / s
        e1, e2 = q[1] - q[0], q[2] - q[1]
        l1, l2 = float(np.hypot(*e1)), float(np.hypot(*e2))
        e = e1 if l1 >= l2 else e2
        angle = math.degrees(math.atan2(e[1], e[0]))
        angle = angle - 180 if angle > 90 else angle + 180 if angle <= -90 else angle
        cx, cy = q.mean(axis=0)
        out.append((float(cx), float(cy), max(l1, l2), min(l1, l2), angle))
    return out, s


def _weighted_median(values: list[float], weights: list[float]) -> float:
    order = np.argsort(values)
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    return float(np.asarray(values)[order][np.searchsorted(cum, cum[-1] / 2)])


def _line_crop(red: np.ndarray, line, skew: float, sideways: bool) -> np.ndarray:
    """One text line cut out level (its skew undone), lying horizontal: a sideways page's line is
    turned 90 degrees counter-clockwise. At most `_VOTE_CROP` line heights long (its start)."""
    import cv2

    cx, cy, length, short, _ = line
    length = min(length, _VOTE_CROP * short)
    w, h = (length, short) if not sideways else (short, length)
    m = cv2.getRotationMatrix2D((cx, cy), skew, 1.0)
    if not sideways:
        m[0, 2] += w / 2 - cx + (line[2] - length) / 2  # keep the line's start when it is cut short
    else:
        m[0, 2] += w / 2 - cx
    m[1, 2] += h / 2 - cy
    crop = cv2.warpAffine(red, m, (max(1, round(w)), max(1, round(h))), flags=cv2.INTER_LINEAR,
                          borderValue=255)
    if sideways:
        crop = np.rot90(crop)
    return np.ascontiguousarray(np.stack([crop] * 3, axis=-1))


def orientation(img: Image.Image) -> tuple[int, float]:
    """How far to turn the page clockwise (0/90/180/270) and its text lines' skew in degrees.

    One text detection on a small copy: horizontal text gives wide boxes, a page scanned sideways
    tall ones; their long edges' median angle (modulo 90) is the skew. Whether those lines read
    forwards or upside down is voted by rapidocr's angle classifier on the longest few lines, cut
    out level (a cheap model: 48 x 192 pixels a line), with the recogniser's confidence as the
    tie-break when the vote is close. A page with too little text is left as it is."""
    red = _red(img)
    lines, _ = _text_lines(red)
    lines = [ln for ln in lines if ln[2] >= 2 * ln[3] and ln[3] >= 4]
    if not lines:
        return 0, 0.0
    wide = sum(ln[2] for ln in lines if abs(ln[4]) < 45)
    tall = sum(ln[2] for ln in lines if abs(ln[4]) >= 45)
    sideways = tall > wide
    lines = [ln for ln in lines if (abs(ln[4]) >= 45) == sideways]
    # A page is turned only on clear evidence (a few lines, mostly one way): a wrong turn of an
    # upright page costs all of it; a page left sideways is only read poorly.
    sure = len(lines) >= _MIN_LINES and (tall if sideways else wide) >= 2 * (wide if sideways else tall)
    # The skew in the page's own frame (modulo 90), the same after a quarter turn.
    skews = [((ln[4] + 45) % 90) - 45 for ln in lines]
    skew = _weighted_median(skews, [ln[2] for ln in lines])
    if not sure:  # left as it is: levelled only when its lines lie as the page does
        return 0, skew if not sideways else 0.0
    longest = sorted(lines, key=lambda ln: -ln[2])[:_VOTE_LINES]
    crops = [_line_crop(red, ln, skew, sideways) for ln in longest]
    engine = get_engine()
    try:
        _, res, _ = engine.text_cls([c.copy() for c in crops])
        votes = {"0": 0.0, "180": 0.0}
        for label, score in res:
            votes[str(label)] = votes.get(str(label), 0.0) + float(score)
        flipped = votes["180"] > votes["0"]
        if min(votes.values()) > 0.5 * max(votes.values()):  # a close vote: read a few lines both ways
            few = crops[:3]
            fwd, _ = engine.text_rec([c.copy() for c in few])
            back, _ = engine.text_rec([np.ascontiguousarray(c[::-1, ::-1]) for c in few])
            flipped = sum(float(r[1]) for r in back) > sum(float(r[1]) for r in fwd)
    except MemoryError:
        raise
    except Exception as exc:
        raise OcrError(f"OCR 引擎出错：{explain(exc)}") from exc
    finally:
        release_memory()
    # A sideways line was cut out turned 90 degrees counter-clockwise: read forwards, the page
    # wants the same turn (270 clockwise); upside down, the opposite one.
    turn = (270 if not flipped else 90) if sideways else (180 if flipped else 0)
    return turn, skew


def straighten(img: Image.Image) -> Straightened:
    """The page turned upright (`orientation`) and levelled: by its ruling lines when it has
    some (precise), else by its text lines' skew; an angle beyond 5 degrees is not a skew."""
    turn, text_skew = orientation(img)
    if turn:
        img = img.transpose(_TURN[turn])
    rule = _rule_skew(img)
    angle, least = (rule, 0.08) if rule is not None else (text_skew, _TEXT_SKEW_MIN)
    if not least <= abs(angle) <= _MAX_SKEW:
        return Straightened(img, turn, 0.0, rule is not None)
    level = _rotate(img, angle)
    if rule is None:
        # Rules skewed past ~2 degrees break up under the line finder's opening: measured again on
        # the page levelled by its text, they correct what is left (text boxes are good to ~0.2).
        # Only a table's long rules: a short underline's slope is no better than the text's.
        rest = _rule_skew(level, 1 / 3)
        if rest is not None and 0.08 <= abs(rest) <= 1.0:
            angle += rest
            level, rule = _rotate(img, angle), rest
    return Straightened(level, turn, angle, rule is not None)


def straightened_as(img: Image.Image, turn: int, skew: float, by_rules: bool) -> Straightened:
    """What `straighten` made of this image, done again from its recorded turn and angle (no
    detection): for a page whose reading comes from the OCR cache."""
    if turn:
        img = img.transpose(_TURN[turn])
    return Straightened(_rotate(img, skew) if skew else img, turn, skew, by_rules)


def page_key(img: Image.Image, checkbox_min_fill: float) -> str:
    """The OCR cache's key for a rendered page: its pixels (mode, size, bytes) and the settings
    its reading depends on beyond the code and rules (which key the cache's context)."""
    h = hashlib.sha256(f"{img.mode}:{img.size}:{checkbox_min_fill}\0".encode())
    h.update(img.tobytes())
    return h.hexdigest()


def _rotate(img: Image.Image, angle: float) -> Image.Image:
    return img.convert("RGB").rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


def ruling_lines(
    dark: np.ndarray,
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (x0, x1, y) and vertical (top, bottom, x) table rules of a straightened page."""
    min_len = max(30, min(dark.shape) // 40)
    h_rules, v_rules = [], []
    for horizontal, out in ((True, h_rules), (False, v_rules)):
        n, _, stats = _long_runs(dark, horizontal, min_len)
        for i in range(1, n):
            x, y, w, h, _ = stats[i]
            if horizontal and h <= 8:
                out.append((float(x), float(x + w), y + h / 2))
            elif not horizontal and w <= 8:
                out.append((float(y), float(y + h), x + w / 2))
    return h_rules, v_rules


# ---------------------------------------------------------------------------------------------
# A page


def read_scan(img: Image.Image, checkbox_min_fill: float) -> Scan:
    """Characters (checkboxes decoded) and ruling lines of a straightened page image."""
    red = np.asarray(img.convert("RGB"))[..., 0]
    clean = Image.fromarray(np.stack([red, red, red], axis=-1))
    boxes = recognise(clean)
    dark = red < _INK
    squares = [sq for box in boxes for sq in find_boxes(dark, box.bbox)]
    chars = mark_checkboxes([c for box in boxes for c in box.chars], squares, checkbox_min_fill)
    h_rules, v_rules = ruling_lines(dark)
    return Scan(chars, h_rules, v_rules)
