"""Folders replaced as a whole (`aacr_lib.files`): the old one stays complete on failure."""

from __future__ import annotations

import os

import pytest

from aacr_lib import files


def test_replace_folder_swaps_and_returns_the_old_one(tmp_path):
    out = tmp_path / "index"
    out.mkdir()
    (out / "old.txt").write_text("old")
    new = files.sibling(out, "building")
    new.mkdir()
    (new / "new.txt").write_text("new")
    assert new.parent == tmp_path and new.name.startswith(".index.building-")
    old = files.replace_folder(new, out)
    assert (out / "new.txt").read_text() == "new" and (old / "old.txt").read_text() == "old"


def test_a_failed_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = tmp_path / "data"
    out.mkdir()
    (out / "a.txt").write_text("complete")
    new = tmp_path / "new"
    new.mkdir()
    real = os.replace

    def fail_second(src, dst):
        if str(src) == str(new):
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", fail_second)
    with pytest.raises(OSError):
        files.replace_folder(new, out)
    assert (out / "a.txt").read_text() == "complete"
