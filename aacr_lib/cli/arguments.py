"""Argument types and checks every command shares: bad values are refused where they are parsed,
and output folders are checked writable before any work starts."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aacr_lib.errors import AacrError


def positive_int(text: str) -> int:
    """An argparse `type`: a whole number of at least 1 (batch sizes, counts, k)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def check_writable_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """`path` (created when missing) as a folder this process can write into; otherwise an
    `AacrError` naming it, so a command fails before its work rather than after."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise AacrError(f"{existing}: not a folder (the {what} must be a folder)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".aacr-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise AacrError(f"{path}: cannot write the {what} here ({reason})") from None
    return path
