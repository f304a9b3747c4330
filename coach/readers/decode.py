"""Bytes -> text: BOMs, UTF-16 without a BOM, binary junk, undecodable bytes.

Recorders export UTF-8 (Zoom, Otter), UTF-8 with a BOM (Teams) and sometimes
UTF-16 (Windows tools). We decode those and refuse everything else with one
line saying where the first bad byte is, rather than guessing a code page and
quoting mangled text back as evidence.
"""

from __future__ import annotations

import codecs
import re

from coach.errors import TranscriptError

_BOMS = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 controls other than tab, LF, VT, FF, CR; plus DEL. Text transcripts never hold these.
_CONTROL_BYTE_SET = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_CONTROL = re.compile("[" + re.escape(_CONTROL_BYTE_SET.decode("ascii")) + "]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def _line_of(data: bytes | str, offset: int) -> int:
    return data.count(b"\n" if isinstance(data, bytes) else "\n", 0, offset) + 1


def _sniff_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) / 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


_CONTROL_BYTES = re.compile(b"[" + re.escape(_CONTROL_BYTE_SET) + b"]")


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" in sample or len(_CONTROL_BYTES.findall(sample)) > max(1, len(sample) // 100)


def decode(data: bytes, *, source: str) -> str:
    """Decode transcript bytes and normalise line ends to `\\n`."""
    encoding = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    if encoding is None:
        encoding = _sniff_utf16(data) if b"\x00" in data[:4096] else None
    if encoding is None:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8":
            if _looks_binary(data):
                raise TranscriptError(
                    "binary data, not a text transcript", source=source, line=_line_of(data, exc.start)
                ) from None
            raise TranscriptError(
                f"undecodable bytes: not valid UTF-8 at byte {exc.start} (0x{data[exc.start]:02x}); "
                "save the file as UTF-8 or UTF-16",
                source=source,
                line=_line_of(data, exc.start),
            ) from None
        raise TranscriptError(
            f"undecodable bytes: not valid {encoding.upper()} at byte {exc.start}", source=source
        ) from None
    # UTF-8 stores characters below 0x80 as those very bytes and uses no byte below 0x80 inside
    # a longer character, so deleting the control bytes from valid UTF-8 tells (in one pass
    # much cheaper than the regex's) whether the text holds any; the regex then finds the first.
    clean = encoding == "utf-8" and len(data.translate(None, _CONTROL_BYTE_SET)) == len(data)
    bad = None if clean else _CONTROL.search(text)
    if bad:
        raise TranscriptError(
            f"binary data, not a text transcript (control byte 0x{ord(bad.group()):02x})",
            source=source,
            line=_line_of(text, bad.start()),
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x85" in text or "\u2028" in text or "\u2029" in text or "\x0b" in text or "\x0c" in text:
        text = _NEWLINES.sub("\n", text)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text
