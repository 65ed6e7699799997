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


class Inflater(Protocol):
    def feed(self, data: bytes) -> bytes:
        """The output of the next chunk of the body."""

    def finish(self) -> None:
        """Raises DecodeError when the body ended inside a member or frame."""


def inflater(encoding: str, max_bytes: int) -> Inflater:
    """An inflater for one body in `encoding` (one of ENCODINGS), stopping at `max_bytes` of output."""
    if encoding == "zstd":
        return _Zstd(max_bytes)
    return _Zlib(encoding, max_bytes)


class _Zlib:
    """gzip (members) or deflate (one zlib stream), through zlib."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self._encoding = encoding
        # 16 + MAX_WBITS: a gzip header and trailer; MAX_WBITS alone: a zlib header and trailer.
        self._wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._max = max_bytes
        self._size = 0
        self._inflater = zlib.decompressobj(self._wbits)

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._inflater.eof:
                if self._encoding != "gzip":
                    raise DecodeError(f"request body has data after the end of its {self._encoding} stream")
                self._inflater = zlib.decompressobj(self._wbits)  # the next member
            try:
                inflated = self._inflater.decompress(data, self._max - self._size + 1)
            except zlib.error as exc:
                raise DecodeError(f"request body is not valid {self._encoding}: {exc}") from exc
            self._size += len(inflated)
            if self._size > self._max or self._inflater.unconsumed_tail:
                raise BodyTooLarge(f"request body is over the limit of {self._max} bytes once decompressed")
            out.append(inflated)
            data = self._inflater.unused_data if self._inflater.eof else b""
        return b"".join(out)

    def finish(self) -> None:
        if not self._inflater.eof:
            raise DecodeError(f"request body is truncated {self._encoding}")


class _Zstd:
    """zstd frames, one after another."""

    def __init__(self, max_bytes: int) -> None:
        self._max = max_bytes
        self._size = 0
        self._inflater = zstd.ZstdDecompressor()

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            if self._inflater.eof:
                self._inflater = zstd.ZstdDecompressor()  # the next frame
            try:
                # At most one byte past the limit: output held back (needs_input False) only
                # exists when the limit is passed, which ends the body here.
                inflated = self._inflater.decompress(data, self._max - self._size + 1)
            except zstd.ZstdError as exc:
                raise DecodeError(f"request body is not valid zstd: {exc}") from exc
            self._size += len(inflated)
            if self._size > self._max:
                raise BodyTooLarge(f"request body is over the limit of {self._max} bytes once decompressed")
            out.append(inflated)
            data = self._inflater.unused_data if self._inflater.eof else b""
        return b"".join(out)

    def finish(self) -> None:
        if not self._inflater.eof:
            raise DecodeError("request body is truncated zstd")
