"""Notebook profiles: the demo data is built once even when several processes ask for it, and
progress bars are off in batch runs."""

from __future__ import annotations

import threading
import time

import pytest
from filelock import FileLock

from aacr_lib import profiles
from aacr_lib.data import clothomix


@pytest.fixture
def counted_builds(monkeypatch):
    calls = []
    real = clothomix.generate_clothomix

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(clothomix, "generate_clothomix", counting)
    return calls


def test_a_second_caller_waits_for_the_build_in_progress_and_does_not_redo_it(
    tmp_path, counted_builds
):
    directory = tmp_path / "clothomix"
    # This test plays the process that is building: it holds the lock.
    held = FileLock(str(tmp_path / ".clothomix.lock"))
    held.acquire()
    waiter = threading.Thread(target=profiles.ensure_clothomix, args=(directory, True))
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive(), "ensure_clothomix did not wait for the build in progress"
    clothomix.generate_clothomix(
        directory,
        seed=0,
        clips=profiles.SMOKE_CLIPS,
        duration=profiles.SMOKE_DURATION,
        progress=False,
    )
    held.release()
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert counted_builds == [directory]  # ours only: the waiter found the complete copy


def test_an_interrupted_build_is_redone(tmp_path, counted_builds):
    directory = tmp_path / "clothomix"
    (directory / "development").mkdir(parents=True)
    (directory / "clotho_captions_development.csv").write_text("file_name\n")
    # a ClothoMix copy without its last file (the evaluation captions): incomplete, rebuilt
    (directory / "README.txt").write_text("ClothoMix: an incomplete copy\n")
    profiles.ensure_clothomix(directory, smoke=True)
    assert counted_builds == [directory]
    assert (directory / "clotho_captions_evaluation.csv").is_file()
    profiles.ensure_clothomix(directory, smoke=True)
    assert counted_builds == [directory]


def test_progress_is_off_in_batch_runs_only(tmp_path, monkeypatch):
    monkeypatch.delenv(profiles.BATCH_ENV, raising=False)
    context = profiles.notebook_context("demo", runs_root_dir=tmp_path, smoke=True)
    assert context.progress
    monkeypatch.setenv(profiles.BATCH_ENV, "1")
    assert not context.progress
