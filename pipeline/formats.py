"""File formats by content: the names `SourceFile.format` takes, and which extensions agree with them.

The content decides how a file is read (SPEC §3); the name's extension is kept beside it
(`SourceFile.extension`). The format names:

- `docx`: a Word OOXML package (a zip holding `word/…`); `pdf`; `doc`: a legacy Word OLE file.
- `encrypted-ooxml`: an OLE container holding `EncryptionInfo`/`EncryptedPackage`, which is what
  Office writes for a .docx (or .xlsx, .pptx) saved with an open password; what it holds cannot be
  told without the password, so it is named for the container, not guessed as docx.
- `zip`: a plain zip archive (not an Office package); `ooxml`: an Office package other than Word
  (Excel, PowerPoint); `odf`: an OpenDocument file (odt …); `ole`: an OLE file other than Word
  (an old .xls or .ppt).
- `empty`: zero bytes; `unknown`: nothing the checker recognises.

A file refused before it was read (too large, its worker timed out) is named by a look at its
first bytes only; a file refused before it was even unpacked keeps its extension as its format.
"""

from __future__ import annotations

# Formats the checker reads documents from (encrypted-ooxml is recognised, then reported as encrypted).
DOCUMENT_FORMATS = ("docx", "doc", "pdf", "encrypted-ooxml")

# The extensions that agree with each document format. An encrypted Office package sits in an OLE
# container as a .doc does, and Word opens it under either name: neither extension is a lie.
EXTENSIONS = {
    "docx": ("docx",),
    "doc": ("doc",),
    "pdf": ("pdf",),
    "encrypted-ooxml": ("docx", "doc"),
}

# Chinese names for messages: "内容是{label}".
FORMAT_LABELS = {
    "docx": "Word 文档（docx）",
    "doc": "旧版 Word 文档（doc）",
    "pdf": "PDF 文档",
    "encrypted-ooxml": "加密的 Office 文档",
    "zip": "ZIP 压缩包",
    "ooxml": "Excel、PowerPoint 等其他 Office 文档",
    "odf": "OpenDocument 文档（odt 等）",
    "ole": "旧版 Excel、PowerPoint 等其他 Office 文档",
    "empty": "空文件",
    "unknown": "无法识别的内容",
}


def format_label(fmt: str) -> str:
    """The Chinese name, to follow a Chinese word: a name that starts with a Latin letter gets a
    space before it (内容是 PDF 文档, 内容是旧版 Word 文档)."""
    label = FORMAT_LABELS.get(fmt, fmt)
    return f" {label}" if label[:1].isascii() else label


def type_mismatch(fmt: str, extension: str) -> bool:
    """Whether a document format was found under an extension that names another format
    (FILE_TYPE_MISMATCH). Contents the checker does not read as documents are never a mismatch
    here: their reader says what they are (FILE_UNREADABLE). A name without an extension names
    no format (such a file is not read: FILE_UNSUPPORTED)."""
    ext = extension.lower().lstrip(".")
    return bool(ext) and fmt in EXTENSIONS and ext not in EXTENSIONS[fmt]
