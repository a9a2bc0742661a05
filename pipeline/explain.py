"""Exceptions in plain Chinese, for messages a reviewer or the secretariat reads.

Parsers and the operating system speak English ("No such file or directory", "Unexpected EOF",
"BadZipFile"). A finding or a CLI error says what that means in a Chinese sentence
(`explain(exc)`); the original text goes to the `pipeline` log (OUT/logs/run.log) through
`explain(exc, where=...)`, never into the message. This is the one place where exception types and
error numbers get their Chinese words.
"""

from __future__ import annotations

import errno
import logging
import re
import zipfile
import zlib

log = logging.getLogger("pipeline.explain")

# OS error numbers → what happened, in the reader's words.
_ERRNO: dict[int, str] = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有读取权限",
    errno.EPERM: "操作不被允许（权限不足）",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中的某一级不是文件夹",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "磁盘为只读，无法写入",
    errno.EIO: "磁盘读写出错",
    errno.ENAMETOOLONG: "文件名或路径过长",
    errno.EMFILE: "同时打开的文件过多",
    errno.ENOMEM: "内存不足",
    errno.ELOOP: "路径中的符号链接循环",
    errno.EBUSY: "文件正被占用",
    errno.ETIMEDOUT: "连接超时",
    errno.ECONNREFUSED: "连接被拒绝",
}

# Exception class names (from any parser) → explanation. Matched along the class's MRO by name, so
# parsers whose modules are not imported here (pdfminer, pypdf, lxml) need no import.
_BY_NAME: dict[str, str] = {
    "BadZipFile": "文件不是完整的压缩格式（可能已损坏、被截断或并非该格式）",
    "LargeZipFile": "压缩包过大，超出可处理的范围",
    "EOFError": "文件在中途意外结束（可能未完整上传或被截断）",
    "XMLSyntaxError": "文档内部的 XML 结构损坏",
    "ParseError": "文档内部结构损坏，无法解析",
    "PDFSyntaxError": "PDF 内部结构损坏",
    "PSEOF": "PDF 文件在中途意外结束（可能被截断）",
    "PSSyntaxError": "PDF 内部结构损坏",
    "PDFNoValidXRef": "PDF 缺少有效的交叉引用表（可能被截断或损坏）",
    "PDFTypeError": "PDF 内部对象类型错误",
    "PDFValueError": "PDF 内部数据无效",
    "PDFPasswordIncorrect": "PDF 设有打开密码",
    "PDFEncryptionError": "PDF 使用了不支持的加密方式",
    "PdfReadError": "PDF 内部结构损坏",
    "PdfStreamError": "PDF 数据流损坏",
    "DependencyError": "缺少读取该文件所需的组件",
    "UnicodeDecodeError": "文字编码无法识别",
    "UnicodeError": "文字编码无法识别",
    "KeyError": "文档缺少必需的组成部分",
    "IndexError": "文档内部结构不完整",
    "ValueError": "文档内部数据无效",
    "TypeError": "文档内部数据类型不符",
    "AssertionError": "文档内部结构不符合规范",
    "NotImplementedError": "文档使用了不支持的功能",
    "MemoryError": "读取时内存不足",
    "RecursionError": "文档结构嵌套过深",
    "TimeoutError": "处理超时",
    "error": "压缩数据损坏，无法解压",  # zlib.error
    "PackageNotFoundError": "找不到 Word 文档的组成部分",
    "UnidentifiedImageError": "图片格式无法识别",
    "DecompressionBombError": "图片尺寸过大，为安全起见未读取",
    "KilledWorker": "解析进程异常退出",
    "CommClosedError": "与计算集群的连接中断",
    "OSError": "读取文件时出错",
}

_GENERIC = "解析时出错"


def explain(exc: BaseException, where: str | None = None) -> str:
    """A Chinese explanation of `exc`, with no English in it.

    With `where` (a file name, a stage), the exception's own text is logged to the run log, so the
    person maintaining the checker can still see it."""
    if where is not None and log.hasHandlers():  # no run log (a CLI usage error): not onto the console
        log.warning("%s: %s: %s", where, type(exc).__name__, exc)
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    if isinstance(exc, zlib.error):
        return _BY_NAME["error"]
    if isinstance(exc, zipfile.BadZipFile):
        return _BY_NAME["BadZipFile"]
    for cls in type(exc).__mro__:
        text = _BY_NAME.get(cls.__name__)
        if text is not None and cls.__name__ != "error":
            return text
    cause = exc.__cause__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
    if isinstance(cause, BaseException) and cause is not exc:
        return explain(cause)
    return _GENERIC


_TYPES = {"integer": "整数", "number": "数字", "string": "文字", "boolean": "true 或 false", "array": "列表",
          "object": "表（[节]）", "null": "空值"}


def explain_toml(exc: Exception) -> str:
    """A TOML syntax error as 第 N 行第 M 列 plus what is wrong there (tomllib says it in English)."""
    if isinstance(exc, UnicodeDecodeError):
        return "文件不是 UTF-8 编码的文本"
    m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    where = f"第 {m.group(1)} 行第 {m.group(2)} 列" if m else "某处"
    return f"{where}语法有误（检查引号、等号、方括号是否成对，键名是否重复）"


def explain_schema(err) -> str:
    """A jsonschema validation error (English) as a Chinese sentence about the value."""
    kind, want = err.validator, err.validator_value
    if kind == "type":
        wants = want if isinstance(want, list) else [want]
        return "应为" + "或".join(_TYPES.get(w, w) for w in wants)
    if kind == "required":
        missing = [k for k in want if isinstance(err.instance, dict) and k not in err.instance]
        return f"缺少键 {'、'.join(missing) or '、'.join(want)}"
    if kind == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {}))) if isinstance(err.instance, dict) else []
        return f"不认识的键 {'、'.join(extra)}（可能拼写有误）"
    if kind == "enum":
        return "应为以下之一：" + "、".join(str(v) for v in want)
    if kind in ("minimum", "exclusiveMinimum"):
        return f"应不小于 {want}" if kind == "minimum" else f"应大于 {want}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"应不大于 {want}" if kind == "maximum" else f"应小于 {want}"
    if kind in ("minItems", "minLength", "minProperties"):
        return f"至少应有 {want} 项" if kind != "minLength" else f"至少应有 {want} 个字符"
    if kind in ("maxItems", "maxLength", "maxProperties"):
        return f"至多 {want} 项" if kind != "maxLength" else f"至多 {want} 个字符"
    if kind == "pattern":
        return "格式不符合要求"
    if kind == "uniqueItems":
        return "列表中有重复项"
    return "取值不符合要求"
