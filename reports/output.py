"""Where a report's file is made: in the system's temporary folder, moved into place whole."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path


def temporary_part(suffix: str) -> Path:
    """A new empty file in the system's temporary folder, where a report is made."""
    handle, name = tempfile.mkstemp(suffix=suffix, dir=tempfile.gettempdir())
    os.close(handle)
    return Path(name)


def move_into_place(part: Path, path: Path) -> None:
    """Put the finished file `part` at `path` in one step: a reader never sees it half-written.
    Across file systems a rename cannot do that, so it is copied beside `path` under a hidden
    name first (the only moment anything but the report is there) and renamed over it."""
    try:
        os.replace(part, path)
        return
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        shutil.copyfile(part, name)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    finally:
        part.unlink(missing_ok=True)
