"""Where `rapport up` keeps its data and where uploaded archives wait for the worker."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from rapport.settings import Settings

__all__ = ["data_dir", "upload_dir"]


def data_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """`RAPPORT_DATA_DIR`, else `$XDG_DATA_HOME/rapport`, else `./.rapport` (so a first try in
    a checkout keeps everything next to it, and `rm -rf .rapport` starts over)."""
    environ = os.environ if environ is None else environ
    if settings.data_dir:
        return Path(settings.data_dir).expanduser()
    xdg = environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "rapport"
    return Path.cwd() / ".rapport"


def upload_dir(settings: Settings, environ: Mapping[str, str] | None = None) -> Path:
    """`RAPPORT_UPLOAD_DIR`, else `uploads/` in the data directory. The worker reads archives
    only from here, whatever a job payload says."""
    if settings.upload_dir:
        return Path(settings.upload_dir).expanduser()
    return data_dir(settings, environ) / "uploads"
