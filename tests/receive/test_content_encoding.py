"""Compressed bodies: gzip members, one deflate (zlib) stream, zstd frames; bombs stop at the limit."""

from __future__ import annotations

import gzip
import sys
import zlib

import pytest

from spanhouse.errors import DecodeError
from spanhouse.receive.content_encoding import BodyTooLarge, Inflater

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

COMPRESS = {"gzip": gzip.compress, "deflate": zlib.compress, "zstd": zstd.compress}


def inflate(encoding, body, max_bytes=1 << 20, chunk=7):
    """The body fed in small chunks, as a slow client sends it."""
    reader = Inflater(encoding, max_bytes)
    out = b"".join(reader.feed(body[i:i + chunk]) for i in range(0, len(body), chunk))
    reader.finish()
    return out


@pytest.mark.parametrize("encoding", COMPRESS)
def test_a_body_comes_back_whole_however_it_is_split(encoding):
    data = bytes(range(256)) * 40
    assert inflate(encoding, COMPRESS[encoding](data)) == data
    assert inflate(encoding, COMPRESS[encoding](data), chunk=1 << 20) == data


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_members_or_frames_one_after_another_are_one_body(encoding):
    compress = COMPRESS[encoding]
    assert inflate(encoding, compress(b"first ") + compress(b"") + compress(b"second")) == b"first second"


@pytest.mark.parametrize("encoding", COMPRESS)
@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_a_bomb_stops_at_the_limit(encoding, chunk):
    bomb = COMPRESS[encoding](b"\x00" * (8 << 20))  # a few KiB inflating to 8 MiB
    assert len(bomb) < 64 * 1024
    with pytest.raises(BodyTooLarge, match="over the limit of 65536 bytes once decompressed"):
        inflate(encoding, bomb, max_bytes=65536, chunk=chunk)


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_the_limit_counts_every_member_or_frame(encoding):
    half = COMPRESS[encoding](b"\x00" * 40_000)
    assert len(inflate(encoding, half, max_bytes=65536)) == 40_000
    with pytest.raises(BodyTooLarge):
        inflate(encoding, half + half, max_bytes=65536)


def test_a_body_exactly_at_the_limit_is_taken():
    for encoding, compress in COMPRESS.items():
        assert len(inflate(encoding, compress(b"x" * 4096), max_bytes=4096)) == 4096


@pytest.mark.parametrize(("encoding", "body", "message"), [
    ("gzip", b"definitely not gzip", "not valid gzip"),
    ("deflate", b"definitely not zlib", "not valid deflate"),
    ("deflate", gzip.compress(b"x", mtime=0), "not valid deflate"),  # gzip sent as deflate
    ("zstd", b"definitely not zstd", "not valid zstd"),
    ("gzip", gzip.compress(b"x" * 100, mtime=0)[:-8], "truncated gzip"),
    ("deflate", zlib.compress(b"x" * 100)[:-4], "truncated deflate"),
    ("zstd", zstd.compress(bytes(range(256)) * 8)[:-6], "truncated zstd"),
    ("zstd", b"", "truncated zstd"),
    ("deflate", zlib.compress(b"x") + b"junk", "data after the end of its deflate stream"),
    ("gzip", gzip.compress(b"x", mtime=0) + b"junk", "not valid gzip"),
    ("zstd", zstd.compress(b"x") + b"junk", "not valid zstd"),
])
def test_what_is_not_the_encoding_it_claims_is_a_decode_error_naming_it(encoding, body, message):
    with pytest.raises(DecodeError, match=message):
        inflate(encoding, body)
