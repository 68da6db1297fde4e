"""Folders replaced as a whole: what the index and dataset builders share.

A builder writes into `sibling(out, "building")`, checks it, then calls `replace_folder` (holding
its own lock): `out` is renamed aside, the new folder renamed in, and the old one returned for
the caller to delete. At every moment either `out` or the folder aside is complete.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def sibling(out: Path, kind: str) -> Path:
    """A fresh hidden folder name beside `out`: `.{name}.{kind}-{pid}-{random}`."""
    return out.parent / f".{out.name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def replace_folder(new: Path, out: Path) -> Path | None:
    """Put the complete folder `new` in place of `out`; return the old `out` (renamed aside,
    for the caller to remove) or None. If renaming `new` in fails, the old one is put back."""
    old = None
    if out.exists():
        old = sibling(out, "old")
        os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        if old is not None and not out.exists():
            os.replace(old, out)
        raise
    return old
