"""Count a zip's entries from its end records, before `zipfile` reads anything.

`zipfile.ZipFile` builds a `ZipInfo` for every central-directory entry when it opens a file:
a zip of a million empty members takes hundreds of megabytes before anyone can count them.
This module reads only the end-of-central-directory record (and its zip64 form) for the count
the zip declares, then walks the central directory itself, one fixed-size header at a time and
keeping nothing, so a zip that understates its count is caught too. Memory is constant.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

__all__ = ["count_entries"]

_EOCD = struct.Struct("<4s4H2LH")  # signature, disks, entries here, entries, size, offset, comment
_EOCD_SIGNATURE = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # zip64 locator: signature, disk, zip64 EOCD offset, disks
_LOCATOR_SIGNATURE = b"PK\x06\x07"
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # ..., entries here, entries, size, offset
_EOCD64_SIGNATURE = b"PK\x06\x06"
_ENTRY = struct.Struct("<4s4s2H2HL2L3H2HLL")  # a central-directory file header (46 bytes)
_ENTRY_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF


def count_entries(handle: BinaryIO, size: int, stop_after: int) -> tuple[int, int] | None:
    """(entries the zip declares, entries found walking its directory, counting at most
    `stop_after + 1`), or None when no end record is found (not a zip: `zipfile` says why)."""
    tail_len = min(size, _EOCD.size + _MAX_COMMENT)
    handle.seek(size - tail_len)
    tail = handle.read(tail_len)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    eocd_pos = size - tail_len + at
    _sig, _d, _dcd, _here, declared, cd_size, _cd_offset, _c = _EOCD.unpack_from(tail, at)
    directory_end = eocd_pos
    zip64 = _zip64_end(handle, eocd_pos)
    if zip64 is not None:
        declared, cd_size, directory_end = zip64
    start = directory_end - cd_size
    if start < 0:
        return declared, 0
    return declared, _walk(handle, start, directory_end, stop_after)


def _zip64_end(handle: BinaryIO, eocd_pos: int) -> tuple[int, int, int] | None:
    """(entries, directory size, where the zip64 end record starts) of a zip64 file."""
    if eocd_pos < _LOCATOR.size:
        return None
    handle.seek(eocd_pos - _LOCATOR.size)
    locator = handle.read(_LOCATOR.size)
    if len(locator) < _LOCATOR.size or locator[:4] != _LOCATOR_SIGNATURE:
        return None
    record_pos = eocd_pos - _LOCATOR.size - _EOCD64.size
    if record_pos < 0:
        return None
    handle.seek(record_pos)
    record = handle.read(_EOCD64.size)
    if len(record) < _EOCD64.size or record[:4] != _EOCD64_SIGNATURE:
        return None
    fields = _EOCD64.unpack(record)
    return fields[7], fields[8], record_pos


def _walk(handle: BinaryIO, start: int, end: int, stop_after: int) -> int:
    """Central-directory headers between `start` and `end`, up to `stop_after + 1`."""
    count = 0
    position = start
    handle.seek(position)
    while position + _ENTRY.size <= end and count <= stop_after:
        header = handle.read(_ENTRY.size)
        if len(header) < _ENTRY.size or header[:4] != _ENTRY_SIGNATURE:
            break  # a damaged directory: zipfile reports it
        fields = _ENTRY.unpack(header)
        name_len, extra_len, comment_len = fields[9], fields[10], fields[11]
        position += _ENTRY.size + name_len + extra_len + comment_len
        handle.seek(position)
        count += 1
    return count
