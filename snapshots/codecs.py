"""How a stored blob turns back into its bytes: `zlib`, `zstd`, or a `zstd-delta` whose dictionary
is the (full) base blob's bytes. See snapshots.store for how and why blobs are written so.

No database code here: `history` reads blob rows with plain SQL (snapshots.sql) and decodes them
with `decode`, so the CLI's `show` works without SQLAlchemy.
"""

from __future__ import annotations

import threading
import zlib


ZSTD_LEVEL = 3  # zstd's default: several times faster than zlib level 6 and smaller
_local = threading.local()  # a zstd context is not to be shared between threads (the web page's)


def _decompressor():
    if not hasattr(_local, "zstd"):
        import zstandard  # imported when a zstd blob is read: `show` of an old zlib blob does without

        _local.zstd = zstandard.ZstdDecompressor()
    return _local.zstd


def _compressor():
    if not hasattr(_local, "zstd_out"):
        import zstandard

        _local.zstd_out = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return _local.zstd_out


def compress(data: bytes) -> bytes:
    """`data` as a whole `zstd` blob stores it."""
    return _compressor().compress(data)


def full_row(key: str, data: bytes) -> dict:
    """The `blobs` row that stores `data` (whose sha256 is `key`) whole: what snapshots.store writes
    for bytes without a delta base, built where they are made (a pool worker, for a new text)."""
    return {"sha256": key, "size": len(data), "data": compress(data), "codec": "zstd", "base_sha256": None}


def decode_full(key: str, codec: str, data: bytes) -> bytes:
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "zstd":
        return _decompressor().decompress(data)
    raise LookupError(f"blob {key}: codec {codec!r} cannot be a delta base")


def decode(key: str, codec: str, data: bytes, base: bytes | None = None) -> bytes:
    """The original bytes of a blob; `base`: the decoded bytes of its base, for a zstd-delta."""
    if codec != "zstd-delta":
        return decode_full(key, codec, data)
    import zstandard

    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(data)
