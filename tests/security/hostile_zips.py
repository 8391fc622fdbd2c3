"""Hostile (and one large but honest) X export zips, generated in seconds: the archives of the
memory tests (tests/security/test_archive_memory.py) and of the measurement in
docs/security.md (`python -m tests.security.hostile_zips FOLDER` writes them all)."""

from __future__ import annotations

import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.jobs.helpers import ARCHIVE_DIR

_MIB = 1 << 20


def _with_handmade(archive: zipfile.ZipFile, skip: str = "") -> None:
    for path in sorted(ARCHIVE_DIR.rglob("*")):
        if path.name != skip:
            archive.writestr(path.relative_to(ARCHIVE_DIR).as_posix(), path.read_bytes())


def zip_bomb(target: Path, unpacked: int = 1 << 30) -> Path:
    """The real handmade X archive whose `like.js` is followed by `unpacked` bytes of blanks
    (valid JSON; a thousandfold compression: a 1 GiB member in a 1 MB zip)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _with_handmade(archive, skip="like.js")
        with archive.open("like.js", "w", force_zip64=True) as member:
            member.write((ARCHIVE_DIR / "like.js").read_bytes())
            blanks = b" " * _MIB
            for _ in range(unpacked // _MIB):
                member.write(blanks)
    return target


def many_members(target: Path, count: int = 1_000_000) -> Path:
    """A valid zip of `count` empty members, written record by record (zipfile would take a
    minute): local headers, then the central directory, then its zip64 end records."""
    local = struct.Struct("<4s5H3L2H")
    central = struct.Struct("<4s6H3L5H2L")
    crc = zlib.crc32(b"")
    locals_: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for index in range(count):
        name = f"m/{index}.txt".encode()
        header = local.pack(b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, 0, 0, len(name), 0) + name
        directory.append(
            central.pack(
                b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, crc, 0, 0, len(name), 0, 0, 0, 0, 0, offset
            )
            + name
        )
        locals_.append(header)
        offset += len(header)
    body = b"".join(locals_)
    cd = b"".join(directory)
    end64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(cd), len(body)
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body) + len(cd), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    target.write_bytes(body + cd + end64 + locator + end)
    return target


def huge_declared(target: Path, declared: int = 0xFFFFFFFE) -> Path:
    """The handmade archive whose `like.js` says (in both its headers) it unpacks to
    `declared` bytes: a reader that trusts it would allocate that much."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        _with_handmade(archive)
    raw = bytearray(target.read_bytes())
    size = (ARCHIVE_DIR / "like.js").stat().st_size.to_bytes(4, "little")
    name = b"like.js"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := raw.find(signature, at)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                assert raw[at + size_at : at + size_at + 4] == size
                raw[at + size_at : at + size_at + 4] = declared.to_bytes(4, "little")
            at += 4
    target.write_bytes(bytes(raw))
    return target


def large_export(target: Path, tweets: int = 100_000, people: int = 5_000) -> Path:
    """An honest X export of `tweets` replies to `people` accounts (about 40 MB of
    `tweets.js`, within the default per-member limit): what a heavy user uploads."""
    start = datetime(2023, 1, 1, tzinfo=UTC)
    items = []
    for index in range(tweets):
        person = index % people
        when = (start + timedelta(minutes=7 * index)).strftime("%a %b %d %H:%M:%S +0000 %Y")
        account = str(10_000 + person)
        item = {
            "tweet": {
                "id_str": str(1_700_000_000_000_000_000 + index),
                "created_at": when,
                "full_text": f"@p{person} thanks, {index}",
                "in_reply_to_user_id_str": account,
                "in_reply_to_screen_name": f"p{person}",
                "in_reply_to_status_id_str": str(1_600_000_000_000_000_000 + index),
                "entities": {
                    "user_mentions": [
                        {
                            "name": f"P{person}",
                            "screen_name": f"p{person}",
                            "indices": ["0", str(len(str(person)) + 2)],
                            "id_str": account,
                            "id": account,
                        }
                    ],
                    "urls": [],
                },
            }
        }
        items.append(json.dumps(item))
    body = "window.YTD.tweets.part0 = [\n" + ",\n".join(items) + "\n]\n"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _with_handmade(archive, skip="tweets-part1.js")
        archive.writestr("tweets.js", body)
    return target


ALL: dict[str, Callable[[Path], Path]] = {
    "bomb.zip": zip_bomb,
    "many.zip": many_members,
    "declared.zip": huge_declared,
    "large.zip": large_export,
}


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, make in ALL.items():
        made = make(folder / file_name)
        print(made, made.stat().st_size)
