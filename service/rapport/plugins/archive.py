"""Safe read access to an export archive, given as a zip file or an unpacked folder.

Connectors read members by name and never extract anything, so a hostile archive cannot write
outside a folder. What a hostile archive *can* do, this module bounds: the number of members,
the decompressed size of each member and of all reads together (zip bombs), and, for a folder,
links that point outside it.
"""

from __future__ import annotations

import fnmatch
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from types import TracebackType

from rapport.errors import ArchiveError

__all__ = ["ArchiveLimits", "ArchiveSource"]


class ArchiveLimits:
    """Bounds on what one archive may make us read (defaults suit real exports of years)."""

    def __init__(
        self,
        *,
        max_members: int = 50_000,
        max_member_bytes: int = 1 << 30,
        max_total_bytes: int = 4 << 30,
    ) -> None:
        self.max_members = max_members
        self.max_member_bytes = max_member_bytes
        self.max_total_bytes = max_total_bytes


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

    def read_bytes(self, name: str) -> bytes:
        if name not in self._names:
            raise ArchiveError(self.display, "no such member", member=name)
        cap = self.limits.max_member_bytes
        if self._zip is not None:
            info = self._zip.getinfo(name)
            if info.file_size > cap:
                raise ArchiveError(self.display, f"member larger than {cap} bytes", member=name)
            try:
                with self._zip.open(info) as handle:
                    data = handle.read(cap + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
                raise ArchiveError(self.display, f"corrupt member ({exc})", member=name) from None
            except (NotImplementedError, RuntimeError) as exc:
                # An unsupported compression method, or an encrypted member.
                raise ArchiveError(
                    self.display, f"unreadable member ({exc})", member=name
                ) from None
        else:
            full = self.path / name
            try:
                with full.open("rb") as handle:
                    data = handle.read(cap + 1)
            except OSError as exc:
                raise ArchiveError(self.display, f"cannot read ({exc})", member=name) from None
        if len(data) > cap:
            raise ArchiveError(self.display, f"member larger than {cap} bytes", member=name)
        self._read_total += len(data)
        if self._read_total > self.limits.max_total_bytes:
            raise ArchiveError(
                self.display,
                f"decompresses to more than {self.limits.max_total_bytes} bytes",
                member=name,
            )
        return data

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
