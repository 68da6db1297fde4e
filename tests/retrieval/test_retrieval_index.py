"""Search index: any format or rate, bad files skipped, only new files embedded, exact order."""

from __future__ import annotations

import argparse
import os

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.cli.index import register as register_index
from aacr_lib.cli.search import register as register_search
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
    assert "decode" in reasons["broken.wav"] and "no samples" in reasons["empty.wav"]
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
