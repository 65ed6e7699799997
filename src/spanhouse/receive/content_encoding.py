"""Compressed request bodies, inflated a chunk at a time and never past a size limit.

The `Content-Encoding`s OTLP/HTTP clients send, and what sends each:
  * gzip: every OTLP exporter asked to compress. A body of several members is one body, as
    RFC 1952 2.2 and Go's reader have it.
  * deflate: the zlib format (RFC 1950), which is what RFC 9110 names deflate. The official
    Python exporter sends it with `OTEL_EXPORTER_OTLP_COMPRESSION=deflate`.
  * zstd: one or more frames (RFC 8878). The OpenTelemetry Collector's otlphttp exporter sends
    it with `compression: zstd`, a common setting between an agent collector and a store.
The limit counts the output of every member or frame and is enforced inside each decompress
call, so a bomb is stopped at the limit however it is split.
"""

from __future__ import annotations

import sys
import zlib
from typing import Protocol

from spanhouse.errors import DecodeError

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

ENCODINGS = ("gzip", "deflate", "zstd")


class BodyTooLarge(Exception):
    """The body is over the size limit, on the wire or once decompressed."""


class _Decompressor(Protocol):
    """What zlib's decompress objects and zstd's ZstdDecompressor have in common."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int, /) -> bytes: ...


def _decompressor(encoding: str) -> _Decompressor:
    if encoding == "zstd":
        return zstd.ZstdDecompressor()
    # 16 + MAX_WBITS: a gzip header and trailer; MAX_WBITS alone: a zlib header and trailer.
    return zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)


class Inflater:
    """One body in one of ENCODINGS, fed a chunk at a time, inflating to at most `max_bytes`."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self._encoding = encoding
        self._max = max_bytes
        self._size = 0
        self._current = _decompressor(encoding)

    def feed(self, data: bytes) -> bytes:
        """The output of the next chunk of the body."""
        out: list[bytes] = []
        while data:
            if self._current.eof:
                if self._encoding == "deflate":  # one zlib stream, not a sequence
                    raise DecodeError("request body has data after the end of its deflate stream")
                self._current = _decompressor(self._encoding)  # the next gzip member or zstd frame
            try:
                # At most one byte past the limit, so passing it is seen without inflating further.
                inflated = self._current.decompress(data, self._max - self._size + 1)
            except (zlib.error, zstd.ZstdError) as exc:
                raise DecodeError(f"request body is not valid {self._encoding}: {exc}") from exc
            self._size += len(inflated)
            if self._size > self._max:
                raise BodyTooLarge(f"request body is over the limit of {self._max} bytes once decompressed")
            out.append(inflated)
            data = self._current.unused_data if self._current.eof else b""
        return b"".join(out)

    def finish(self) -> None:
        """Raises DecodeError when the body ended inside a member or frame."""
        if not self._current.eof:
            raise DecodeError(f"request body is truncated {self._encoding}")
