"""Read a multipart/form-data body that was streamed to disk (by the upload path the API
uses, with its size cap), without loading it into memory: the file is mapped and scanned for
the boundary, and the file part is copied out in chunks.

Small fields (the CSRF token, the platform) are returned as text; one file field is copied to
`target`. Anything malformed is a `ValueError` with a message for the user.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

__all__ = ["boundary_of", "split_form"]

_MAX_HEADERS = 8192
_MAX_FIELD = 4096
_CHUNK = 1 << 20
_NAME = re.compile(rb'\bname="([^"]*)"')
_FILENAME = re.compile(rb'\bfilename="([^"]*)"')
_BOUNDARY = re.compile(r'boundary="?([^";]{1,70})"?')


def boundary_of(content_type: str) -> bytes:
    """The boundary of a multipart/form-data content type."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ValueError("the form must be sent as multipart/form-data")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise ValueError("the multipart form has no boundary")
    return match.group(1).encode("latin-1")


def split_form(body: Path, boundary: bytes, file_field: str, target: Path) -> dict[str, str]:
    """The text fields of the form in `body`; the part named `file_field` is written to
    `target` (ValueError when it is missing or empty)."""
    fields: dict[str, str] = {}
    wrote = False
    delimiter = b"--" + boundary
    with body.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        position = mm.find(delimiter)
        if position < 0:
            raise ValueError("the multipart form is malformed (no boundary)")
        position += len(delimiter)
        while True:
            if mm[position : position + 2] == b"--":
                break
            if mm[position : position + 2] != b"\r\n":
                raise ValueError("the multipart form is malformed")
            position += 2
            header_end = mm.find(b"\r\n\r\n", position, position + _MAX_HEADERS)
            if header_end < 0:
                raise ValueError("the multipart form is malformed (headers)")
            headers = mm[position:header_end]
            start = header_end + 4
            end = mm.find(b"\r\n" + delimiter, start)
            if end < 0:
                raise ValueError("the multipart form is cut short")
            name_match = _NAME.search(headers)
            name = name_match.group(1).decode("utf-8", "replace") if name_match else ""
            if name == file_field and _FILENAME.search(headers):
                with target.open("wb") as out:
                    for offset in range(start, end, _CHUNK):
                        out.write(mm[offset : min(offset + _CHUNK, end)])
                wrote = end > start
            elif end - start <= _MAX_FIELD:
                fields[name] = mm[start:end].decode("utf-8", "replace")
            position = end + 2 + len(delimiter)
    if not wrote:
        raise ValueError("choose an export archive (a .zip file) to upload")
    return fields
