"""Safe read access to an export archive, given as a zip file or an unpacked folder.

Connectors read members by name and never extract anything, so a hostile archive cannot write
outside a folder. What a hostile archive *can* do, this module bounds, with memory that does not
grow with the archive: the number of members (counted from the zip's end records before
`zipfile` builds anything, `rapport.plugins.zip_directory`), the decompressed size of a member
held in memory whole (`read_bytes`, `read_text`: a parser needs the whole file), the bytes of
all reads together (zip bombs), and, for a folder, links that point outside it. A reader that
can work on a stream uses `open`, which holds one chunk at a time (docs/security.md).
"""

from __future__ import annotations

import fnmatch
import io
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

from rapport.errors import ArchiveError
from rapport.plugins.zip_directory import count_entries
from rapport.settings import Settings

__all__ = ["ArchiveLimits", "ArchiveSource"]

_DEFAULTS = Settings()
_CHUNK = 1 << 20


class ArchiveLimits:
    """Bounds on what one archive may make us read. The defaults are the settings' defaults
    (`RAPPORT_ARCHIVE_MAX_FILES`, `_MAX_MEMBER_BYTES`, `_MAX_UNPACKED_BYTES`): they suit real
    exports of years and keep a worker within a few hundred megabytes."""

    def __init__(
        self,
        *,
        max_members: int = _DEFAULTS.archive_max_files,
        max_member_bytes: int = _DEFAULTS.archive_max_member_bytes,
        max_total_bytes: int = _DEFAULTS.archive_max_unpacked_bytes,
    ) -> None:
        self.max_members = max_members
        self.max_member_bytes = max_member_bytes
        self.max_total_bytes = max_total_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(
            max_members=settings.archive_max_files,
            max_member_bytes=min(
                settings.archive_max_member_bytes, settings.archive_max_unpacked_bytes
            ),
            max_total_bytes=settings.archive_max_unpacked_bytes,
        )


class _BoundedStream(io.RawIOBase):
    """A member's decompressed bytes, refused past `cap` bytes and past the archive's total
    budget (both counted as read, so a header that lies about sizes changes nothing)."""

    def __init__(
        self, source: ArchiveSource, name: str, raw: IO[bytes], cap: int, too_large: str
    ) -> None:
        self._source, self._name, self._raw, self._cap = source, name, raw, cap
        self._too_large = too_large
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._raw.read(min(len(view), _CHUNK))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise self._source.error(f"corrupt member ({exc})", self._name) from None
        except (NotImplementedError, RuntimeError) as exc:
            # An unsupported compression method, or an encrypted member.
            raise self._source.error(f"unreadable member ({exc})", self._name) from None
        self._read += len(data)
        if self._read > self._cap:
            raise self._source.error(self._too_large, self._name)
        self._source.count(len(data), self._name)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class ArchiveSource:
    """A zip file or a folder, read member by member. Member names use `/` separators."""

    def __init__(self, path: Path, limits: ArchiveLimits | None = None) -> None:
        self.path = path
        self.display = str(path)
        self.limits = limits or ArchiveLimits()
        self._read_total = 0
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            self._names = self._folder_names(path)
        elif path.is_file():
            self._check_zip_count(path)
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError, EOFError) as exc:
                # NotImplementedError: a zip "version" the standard library does not read.
                raise ArchiveError(self.display, f"not a zip file or folder ({exc})") from None
            self._names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        else:
            raise ArchiveError(self.display, "no such file or folder")
        if len(self._names) > self.limits.max_members:
            raise ArchiveError(
                self.display,
                f"holds {len(self._names)} files, more than the limit of {self.limits.max_members}",
            )

    def _check_zip_count(self, path: Path) -> None:
        """Refuse a zip of too many entries before `zipfile` materialises its directory."""
        limit = self.limits.max_members
        try:
            with path.open("rb") as handle:
                counted = count_entries(handle, path.stat().st_size, limit)
        except OSError as exc:
            raise ArchiveError(self.display, f"cannot read ({exc})") from None
        if counted is None:
            return  # not a zip: zipfile says why
        declared, found = counted
        if max(declared, found) > limit:
            count = f"{declared}" if declared > limit else f"more than {limit}"
            raise ArchiveError(
                self.display,
                f"holds {count} files, more than the limit of {limit} (RAPPORT_ARCHIVE_MAX_FILES)",
            )

    def error(self, message: str, member: str) -> ArchiveError:
        return ArchiveError(self.display, message, member=member)

    def count(self, size: int, member: str) -> None:
        """Add `size` decompressed bytes to the archive's total, refusing past its limit."""
        self._read_total += size
        if self._read_total > self.limits.max_total_bytes:
            raise self.error(
                f"decompresses to more than {self.limits.max_total_bytes} bytes "
                "(RAPPORT_ARCHIVE_MAX_UNPACKED_BYTES)",
                member,
            )

    def _folder_names(self, root: Path) -> list[str]:
        names = []
        resolved_root = root.resolve()
        for dirpath, _dirs, files in os.walk(root):
            for file in files:
                full = Path(dirpath, file)
                if not full.resolve().is_relative_to(resolved_root):
                    continue  # a link out of the archive folder is not part of the archive
                names.append(full.relative_to(root).as_posix())
                if len(names) > self.limits.max_members:
                    return names
        return sorted(names)

    def __enter__(self) -> ArchiveSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def names(self) -> list[str]:
        return list(self._names)

    def find(self, pattern: str) -> list[str]:
        """Members whose file name (not path) matches the glob `pattern`, sorted by path."""
        return sorted(n for n in self._names if fnmatch.fnmatch(PurePosixPath(n).name, pattern))

    def has(self, pattern: str) -> bool:
        return bool(self.find(pattern))

    def open(self, name: str) -> io.BufferedReader:
        """A stream of the member's decompressed bytes, for a reader that needs no more than
        a chunk at a time: bounded by the archive's total budget only."""
        limit = self.limits.max_total_bytes
        return self._open(name, limit, f"member larger than {limit} bytes")

    def _open(self, name: str, limit: int, too_large: str) -> io.BufferedReader:
        if name not in self._names:
            raise self.error("no such member", name)
        raw: IO[bytes]
        if self._zip is not None:
            info = self._zip.getinfo(name)
            if info.file_size > limit:
                raise self.error(too_large, name)
            try:
                raw = self._zip.open(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
                raise self.error(f"corrupt member ({exc})", name) from None
            except (NotImplementedError, RuntimeError) as exc:
                raise self.error(f"unreadable member ({exc})", name) from None
        else:
            try:
                raw = (self.path / name).open("rb")
            except OSError as exc:
                raise self.error(f"cannot read ({exc})", name) from None
        return io.BufferedReader(_BoundedStream(self, name, raw, limit, too_large), _CHUNK)

    def read_bytes(self, name: str) -> bytes:
        """The whole member, decompressed: at most `max_member_bytes` (held in memory)."""
        cap = self.limits.max_member_bytes
        too_large = (
            f"member larger than {cap} bytes, the most read into memory at once "
            "(RAPPORT_ARCHIVE_MAX_MEMBER_BYTES)"
        )
        chunks = []
        try:
            with self._open(name, cap, too_large) as stream:
                while chunk := stream.read(_CHUNK):
                    chunks.append(chunk)
        except OSError as exc:
            raise self.error(f"cannot read ({exc})", name) from None
        return b"".join(chunks)

    def read_text(self, name: str) -> str:
        data = self.read_bytes(name)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            # A file cut short can end inside a character: say that, not "not UTF-8".
            cut = exc.end == len(data) and exc.reason == "unexpected end of data"
            raise ArchiveError(
                self.display,
                "truncated: the file ends inside a UTF-8 character"
                if cut
                else f"not UTF-8 text ({exc.reason})",
                member=name,
                position=f"byte {exc.start}",
            ) from None
