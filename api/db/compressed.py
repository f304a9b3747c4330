"""Compressed blobs: an upload and its transcript JSON are stored zlib-compressed.

A transcript's JSON repeats its keys on every turn and sentence; for short turns
it is 10-20x the upload it came from ("A: hi" per line: 110 MB for a 5 MiB
file). Compressed, what is stored stays a fraction of the upload. Rows written
before compression (plain text or bytes) still read back as they were: a
compressed value starts with a marker no upload or JSON text starts with.
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import LargeBinary, TypeDecorator
from sqlalchemy.engine import Dialect

MARKER = b"\x00coach-zlib\x00"
_LEVEL = 6


def pack(data: bytes) -> bytes:
    return MARKER + zlib.compress(data, _LEVEL)


def unpack(stored: bytes | memoryview | str) -> bytes:
    if isinstance(stored, str):
        return stored.encode("utf-8")
    stored = bytes(stored)
    return zlib.decompress(stored[len(MARKER) :]) if stored.startswith(MARKER) else stored


class CompressedBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return pack(value) if isinstance(value, bytes | bytearray) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unpack(value)


class CompressedText(TypeDecorator[str]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return pack(value.encode("utf-8")) if isinstance(value, str) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unpack(value).decode("utf-8")
