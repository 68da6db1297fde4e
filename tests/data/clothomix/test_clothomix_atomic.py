"""`generate_clothomix` is all-or-nothing: concurrent builds, failures and rebuilds with other
arguments never leave captions that do not match the audio."""

from __future__ import annotations

import csv
import errno
import threading
from pathlib import Path

import pytest

from aacr_lib.data.check import check_dataset
from aacr_lib.data.clothomix import generate as generate_module
from aacr_lib.data.clothomix import generate_clothomix
from aacr_lib.errors import ConfigError

A = {"seed": 0, "clips": {"development": 1, "evaluation": 3}, "duration": 1.0}
B = {"seed": 1, "clips": {"evaluation": 2}, "duration": 2.0}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _build(folder: Path, arguments: dict) -> Path:
    generate_clothomix(folder, progress=False, **arguments)
    return folder


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("references")
    return {"A": _files(_build(root / "a", A)), "B": _files(_build(root / "b", B))}


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def _assert_consistent(folder: Path, references) -> str:
    """Every caption row's clip exists, the metadata lists the same clips, no stray clip, and
    the whole folder is byte for byte one of the reference builds; returns which one."""
    for captions in folder.glob("clotho_captions_*.csv"):
        split = captions.stem.removeprefix("clotho_captions_")
        names = [row[0] for row in _rows(captions)]
        assert all((folder / split / name).is_file() for name in names)
        assert [row[0] for row in _rows(folder / f"clotho_metadata_{split}.csv")] == names
        assert sorted(p.name for p in (folder / split).iterdir()) == sorted(names)
    files = _files(folder)
    matches = [name for name, reference in references.items() if files == reference]
    assert matches, "the folder is a mix of two builds"
    assert check_dataset(folder).ok
    return matches[0]


def _no_leftovers(parent: Path, name: str) -> None:
    hidden = sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))
    assert all(h.endswith(".lock") for h in hidden), hidden


def test_two_builds_at_once_with_other_arguments_leave_one_whole_dataset(
    tmp_path, monkeypatch, references
):
    folder = tmp_path / "clothomix"
    real_make_clip = generate_module.make_clip
    a_waiting, b_done = threading.Event(), threading.Event()

    def make_clip(bank, seed, split, index, count, duration, **options):
        # Build A pauses after its first evaluation clip until build B has finished.
        if threading.current_thread().name == "A" and split == "evaluation" and index == 1:
            a_waiting.set()
            b_done.wait(timeout=120)
        return real_make_clip(bank, seed, split, index, count, duration, **options)

    monkeypatch.setattr(generate_module, "make_clip", make_clip)
    errors = []

    def run(arguments, done=None):
        try:
            _build(folder, arguments)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            if done is not None:
                done.set()

    a = threading.Thread(target=run, args=(A,), name="A")
    b = threading.Thread(target=run, args=(B, b_done), name="B")
    a.start()
    assert a_waiting.wait(timeout=120)
    b.start()
    b.join(timeout=120)
    a.join(timeout=120)
    assert not a.is_alive() and not b.is_alive() and errors == []
    assert _assert_consistent(folder, references) == "A"  # the one that finished last
    _no_leftovers(tmp_path, "clothomix")


def test_a_dataset_of_other_arguments_is_replaced_whole(tmp_path, references):
    folder = _build(tmp_path / "clothomix", A)
    _build(folder, B)  # fewer splits, other seed and duration: nothing of A may stay
    assert _assert_consistent(folder, references) == "B"
    _no_leftovers(tmp_path, "clothomix")


def test_a_failed_build_leaves_the_previous_dataset_untouched(tmp_path, monkeypatch, references):
    folder = _build(tmp_path / "clothomix", A)
    real_make_clip = generate_module.make_clip

    def make_clip(bank, seed, split, index, count, duration, **options):
        if index == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_make_clip(bank, seed, split, index, count, duration, **options)

    monkeypatch.setattr(generate_module, "make_clip", make_clip)
    with pytest.raises(OSError):
        _build(folder, B)
    assert _assert_consistent(folder, references) == "A"
    _no_leftovers(tmp_path, "clothomix")
    monkeypatch.setattr(generate_module, "make_clip", real_make_clip)
    assert _assert_consistent(_build(folder, B), references) == "B"


def test_feature_caches_survive_only_a_rebuild_with_the_same_arguments(tmp_path):
    folder = _build(tmp_path / "clothomix", B)
    cache = folder / "features" / "logmel-abc" / "evaluation.h5"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"cached")
    _build(folder, B)
    assert cache.read_bytes() == b"cached"
    _build(folder, A)
    assert not (folder / "features").exists()


def test_a_folder_with_other_files_is_refused(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="not ClothoMix"):
        _build(folder, B)
    assert [p.name for p in folder.iterdir()] == ["thesis.tex"]
    _no_leftovers(tmp_path, "mine")
