"""Search index: any format or rate, bad files skipped, only new files embedded, exact order."""

from __future__ import annotations

import argparse
import errno
import json
import os

import faiss
import numpy as np
import pytest
import soundfile as sf

from aacr_lib.cli import main
from aacr_lib.cli.index import register as register_index
from aacr_lib.cli.search import register as register_search
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.retrieval.index import (
    IndexSettings,
    SearchIndex,
    build_index,
    make_faiss_index,
    read_manifest,
)
from tests.retrieval.conftest import synthesise


def write(path, kind, seconds, sample_rate, channels=1, seed=0, **options):
    rng = np.random.default_rng(seed)
    mono = synthesise(kind, seconds, rng)  # at 44.1 kHz; the rate written below is nominal
    data = np.stack([mono] * channels, axis=1) if channels > 1 else mono
    sf.write(path, data, sample_rate, **options)


@pytest.fixture
def recordings(tmp_path):
    folder = tmp_path / "recordings"
    (folder / "sub").mkdir(parents=True)
    write(folder / "hum.wav", "low", 1.0, 22_050, channels=2)
    write(folder / "sub" / "whistle.flac", "high", 1.5, 16_000)
    write(folder / "noise.ogg", "noise", 1.0, 48_000, format="OGG", subtype="VORBIS")
    # Ogg under its other common names: Vorbis as .oga (desktop sound themes), Opus as .opus
    write(folder / "chime.oga", "pulse", 1.0, 44_100, format="OGG", subtype="VORBIS")
    write(folder / "siren.opus", "sweep", 1.0, 48_000, format="OGG", subtype="OPUS")
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt not really audio")
    write(folder / "blip.wav", "clicks", 0.03, 44_100)  # shorter than the encoder's input
    sf.write(folder / "empty.wav", np.zeros(0, dtype=np.float32), 16_000)
    (folder / "notes.txt").write_text("not audio")
    return folder


def test_build_skips_bad_files_and_updates_only_new_or_changed_ones(toy_run, recordings, tmp_path):
    out = tmp_path / "index"
    report = build_index(recordings, toy_run.path, out, progress=False)
    names = sorted(os.path.basename(p) for p in report.added)
    assert names == ["blip.wav", "chime.oga", "hum.wav", "noise.ogg", "siren.opus", "whistle.flac"]
    reasons = {os.path.basename(s["path"]): s["reason"] for s in report.skipped}
    assert set(reasons) == {"broken.wav", "empty.wav"}
    # "cannot decode …" or "cannot read audio header …", depending on where decoding fails
    assert "cannot" in reasons["broken.wav"] and "no samples" in reasons["empty.wav"]
    manifest = read_manifest(out)
    assert len(manifest["entries"]) == 6 and manifest["index"]["kind"] == "flat"

    write(recordings / "sweep.wav", "sweep", 1.0, 44_100)
    write(recordings / "hum.wav", "pulse", 1.0, 8_000)  # changed: another size
    (recordings / "noise.ogg").unlink()
    again = build_index(recordings, toy_run.path, out, progress=False)
    assert sorted(os.path.basename(p) for p in again.added) == ["hum.wav", "sweep.wav"]
    assert again.kept == 4 and [os.path.basename(p) for p in again.removed] == ["noise.ogg"]
    assert again.total == 6 and "2 embedded now, 4 unchanged" in again.summary()


def test_search_order_is_the_exact_score_order(toy_run, recordings, tmp_path):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    index = SearchIndex(out)
    vectors = np.load(out / "vectors.npy")
    query = "a high pitched whistle sounds"
    expected = vectors @ index.trained.embed_text([query])[0]
    hits = index.search(query, k=10)
    assert len(hits) == 6 and [h.rank for h in hits] == [1, 2, 3, 4, 5, 6]
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True), rel=1e-5)
    paths = [e["path"] for e in index.entries]
    assert [h.path for h in hits] == [paths[i] for i in np.argsort(-expected, kind="stable")]


def test_approximate_index_types_find_the_exact_neighbours_on_small_data():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((500, 16)).astype(np.float32)
    queries = vectors[:20] + 0.01
    exact = make_faiss_index(vectors, "ip", IndexSettings("flat")).search(queries, 5)[1]
    for settings in (IndexSettings("hnsw", ef_search=200), IndexSettings("ivf", nprobe=64)):
        approximate = make_faiss_index(vectors, "ip", settings).search(queries, 5)[1]
        assert (approximate[:, 0] == exact[:, 0]).mean() >= 0.9


def test_cli_build_and_search(toy_run, recordings, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="aacr")
    subparsers = parser.add_subparsers()
    register_index(subparsers)
    register_search(subparsers)
    out = tmp_path / "cli-index"
    args = parser.parse_args(
        ["index", "build", str(recordings), "--run", str(toy_run.path), "--out", str(out)]
        + ["--type", "hnsw", "--no-progress"]
    )
    assert args.handler(args) == 0
    assert "6 embedded now" in capsys.readouterr().out
    args = parser.parse_args(["search", "a", "low", "hum", "--index", str(out), "-k", "2"])
    assert args.handler(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].lstrip().startswith("1 ")
    args = parser.parse_args(["index", "info", str(out)])
    assert args.handler(args) == 0
    assert "faiss hnsw" in capsys.readouterr().out


# --- all-or-nothing builds, checked opening, refusals ---------------------------------------


def _search_paths(out, query="a high pitched whistle sounds"):
    return [(hit.path, round(hit.score, 5)) for hit in SearchIndex(out).search(query, k=10)]


def _consistent(out):
    manifest = read_manifest(out)
    vectors = np.load(out / "vectors.npy")
    index = SearchIndex(out)
    assert len(manifest["entries"]) == len(vectors) == index.index.ntotal
    return manifest


def _truncating_write(real):
    def write_index(index, path):
        real(index, path)
        with open(path, "r+b") as handle:
            handle.truncate(os.path.getsize(path) // 2)

    return write_index


def _failing_write(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failure", ["faiss_enospc", "faiss_truncated", "rename_enospc"])
def test_a_failed_update_leaves_the_previous_index_whole(
    toy_run, recordings, tmp_path, monkeypatch, failure
):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    before = _search_paths(out)
    write(recordings / "sweep.wav", "sweep", 1.0, 44_100)
    with monkeypatch.context() as patch:
        if failure == "faiss_enospc":
            patch.setattr(faiss, "write_index", _failing_write)
        elif failure == "faiss_truncated":
            patch.setattr(faiss, "write_index", _truncating_write(faiss.write_index))
        else:
            real_replace = os.replace
            failed = []

            def replace(src, dst, *args, **kwargs):
                # The first rename that would put something in place: the new index folder
                # (the old code: its manifest, after the vectors and the FAISS file).
                target = os.fspath(dst)
                if not failed and (target == str(out) or target == str(out / "manifest.json")):
                    failed.append(target)
                    raise OSError(errno.ENOSPC, "No space left on device", target)
                return real_replace(src, dst, *args, **kwargs)

            patch.setattr(os, "replace", replace)
        with pytest.raises((OSError, DataError)):
            build_index(recordings, toy_run.path, out, progress=False)
    manifest = _consistent(out)
    assert len(manifest["entries"]) == 6
    assert _search_paths(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index.")) == [
        ".index.lock"
    ]
    again = build_index(recordings, toy_run.path, out, progress=False)
    assert [os.path.basename(p) for p in again.added] == ["sweep.wav"] and again.kept == 6
    assert len(_consistent(out)["entries"]) == 7


@pytest.mark.parametrize("planted", ["vectors", "manifest", "faiss"])
def test_files_that_disagree_give_a_data_error_naming_the_fix(
    toy_run, recordings, tmp_path, planted
):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    if planted == "vectors":
        np.save(out / "vectors.npy", np.load(out / "vectors.npy")[:-1])
    elif planted == "manifest":
        manifest = json.loads((out / "manifest.json").read_text())
        manifest["entries"].pop()
        (out / "manifest.json").write_text(json.dumps(manifest))
    else:
        vectors = np.load(out / "vectors.npy")
        faiss.write_index(
            make_faiss_index(vectors[:3], "ip", IndexSettings()), str(out / "index.faiss")
        )
    for open_index in (SearchIndex, read_manifest):
        with pytest.raises(DataError, match="disagree") as caught:
            open_index(out)
        assert str(out) in str(caught.value) and f"--out {out}" in str(caught.value)
    # The fix it names works: the build starts afresh.
    report = build_index(recordings, toy_run.path, out, progress=False)
    assert report.total == 6 and "rebuilt in full" in report.summary()
    _consistent(out)


def test_a_folder_without_audio_is_refused(toy_run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(DataError, match="no audio files"):
        build_index(empty, toy_run.path, tmp_path / "index", progress=False)
    assert not (tmp_path / "index").exists()


def test_broken_symlinks_are_listed_as_skipped(toy_run, recordings, tmp_path):
    (recordings / "gone.wav").symlink_to(tmp_path / "no-such-file.wav")
    report = build_index(recordings, toy_run.path, tmp_path / "index", progress=False)
    reasons = {os.path.basename(s["path"]): s["reason"] for s in report.skipped}
    assert set(reasons) == {"broken.wav", "empty.wav", "gone.wav"}
    assert "broken symbolic link" in reasons["gone.wav"]
    assert "skipped " + str(recordings / "gone.wav") in report.summary()
    assert read_manifest(tmp_path / "index")["skipped"] == report.skipped


def test_an_update_from_another_folder_is_refused_without_replace(
    toy_run, recordings, tmp_path, capsys
):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    write(other / "tone.wav", "high", 1.0, 16_000)
    with pytest.raises(ConfigError, match="--replace"):
        build_index(other, toy_run.path, out, progress=False)
    assert len(read_manifest(out)["entries"]) == 6
    argv = ["index", "build", str(other), "--run", str(toy_run.path), "--out", str(out)]
    assert main([*argv, "--no-progress"]) != 0
    assert "--replace" in capsys.readouterr().err
    assert main([*argv, "--no-progress", "--replace"]) == 0
    printed = capsys.readouterr().out
    assert "warning: replaced the index of" in printed and "6 entries dropped" in printed
    assert [os.path.basename(e["path"]) for e in read_manifest(out)["entries"]] == ["tone.wav"]


def test_a_folder_that_is_not_an_index_is_not_replaced(toy_run, recordings, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="not an index"):
        build_index(recordings, toy_run.path, mine, progress=False)
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]


def test_an_index_left_aside_by_a_crash_is_put_back(toy_run, recordings, tmp_path):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    os.rename(out, tmp_path / ".index.old-1-deadbeef")  # killed between the two renames
    with pytest.raises(DataError, match="interrupted update"):
        SearchIndex(out)
    report = build_index(recordings, toy_run.path, out, progress=False)
    assert report.kept == 6 and not report.added
    _consistent(out)


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_an_error(toy_run, recordings, tmp_path, capsys, query):
    out = tmp_path / "index"
    build_index(recordings, toy_run.path, out, progress=False)
    assert main(["search", query, "--index", str(out)]) != 0
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert "query is empty" in captured.err
    with pytest.raises(ConfigError, match="empty search query"):
        SearchIndex(out).search(query)
