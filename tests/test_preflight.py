"""The book's preflight (`aacr book --check`): what each chapter needs, found or named with its fix."""

from __future__ import annotations

import time

import pytest

from aacr_lib import assets, preflight
from aacr_lib.book import discover_notebooks
from aacr_lib.cli import main
from tests.conftest import REPO_ROOT


def write_clotho_csvs(directory, clips):
    """Just enough of the Clotho layout for the counts: captions CSVs and audio file names."""
    directory.mkdir(parents=True, exist_ok=True)
    for split, count in clips.items():
        (directory / split).mkdir(exist_ok=True)
        rows = ["file_name,caption_1,caption_2,caption_3,caption_4,caption_5"]
        for index in range(count):
            name = f"clip, number {index} (take 2).wav"
            (directory / split / name).write_bytes(b"")
            rows.append(f'"{name}",a,b,c,d,e')
        (directory / f"clotho_captions_{split}.csv").write_text("\n".join(rows) + "\n")


def test_every_chapter_declares_its_needs_at_both_profiles():
    numbers = [nb.name[:2] for nb in discover_notebooks(REPO_ROOT)]
    for profile, needs in preflight.CHAPTER_NEEDS.items():
        assert sorted(needs) == numbers, profile
        for names in needs.values():
            for name in names:
                assert name in (preflight.DATA, preflight.JAVA) or name in assets.ASSETS


def test_fresh_clone_names_every_missing_piece_and_exits_1(capsys):
    started = time.perf_counter()
    code = main(["book", "--profile", "clotho", "--check", "--root", str(REPO_ROOT)])
    seconds = time.perf_counter() - started
    out = capsys.readouterr().out
    assert code == 1
    assert "aacr data clotho --root" in out
    for name in preflight.CHAPTER_NEEDS["clotho"]["03"]:
        if name not in (preflight.DATA, preflight.JAVA):
            assert f"MISSING {name}" in out and assets.get(name).fix in out
    assert "03_captioning_baseline       cannot run fully" in out
    assert seconds < 5, f"the preflight took {seconds:.1f} s"


def test_clips_per_split_are_counted_and_short_audio_folders_named(tmp_path):
    clotho = tmp_path / "clotho"
    write_clotho_csvs(clotho, {"development": 3, "validation": 2, "evaluation": 2})
    check = preflight.check_data("clotho", tmp_path)
    assert check.ok, check.detail
    assert "development 3, validation 2, evaluation 2" in check.detail
    next((clotho / "evaluation").iterdir()).unlink()
    check = preflight.check_data("clotho", tmp_path)
    assert not check.ok and "evaluation/ holds 1 of 2 audio files" in check.detail
    assert check.fix.startswith("aacr data clotho --root")


def test_a_chapter_is_ready_when_everything_it_needs_is_there(tmp_path, monkeypatch):
    write_clotho_csvs(
        tmp_path / "data" / "clotho", {"development": 2, "validation": 1, "evaluation": 1}
    )
    for name in preflight.CHAPTER_NEEDS["clotho"]["06"]:
        if name in assets.ASSETS:
            asset = assets.get(name)
            if asset.locate is not None:
                pytest.skip(f"{name} lives in another tool's cache")
            for rel in asset.files:
                path = asset.directory() / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"fabricated")
    checked = preflight.preflight("clotho", data_root=tmp_path / "data", root=REPO_ROOT, only=["6"])
    assert [c.notebook for c in checked.chapters] == ["06_retrieval_baseline"]
    assert checked.ready, checked.report()
    assert "every chapter can run fully" in checked.report()


def test_cuda_requested_without_cuda_is_named():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    check = preflight.check_device("cuda")
    assert not check.ok and "no CUDA device" in check.detail and "--device cpu" in check.fix


def test_the_book_prints_the_preflight_before_it_starts(tmp_path, capsys):
    # a book run that cannot start (no Clotho) printed the preflight first, then one error line
    arguments = ["book", "--profile", "clotho", "--no-html", "--root", str(REPO_ROOT)]
    assert main([*arguments, "--data-root", str(tmp_path)]) != 0
    captured = capsys.readouterr()
    assert "Preflight for the clotho book:" in captured.out
    assert "aacr data clotho --root" in captured.err


def test_aacr_setup_profile_fetches_what_the_preflight_asks_for():
    """`aacr setup --profile P` and the preflight's declaration name the same assets (the pip
    packages aside, which `make setup` installs)."""
    for profile, needs in preflight.CHAPTER_NEEDS.items():
        declared = {n for names in needs.values() for n in names if n in assets.ASSETS}
        declared = {n for n in declared if assets.get(n).locate is None}
        fetched = set(assets.for_profile(profile))
        assert declared == fetched, profile
