"""`aacr features DIR --kind KIND`: builds caches, prints where, one-line errors."""

from __future__ import annotations

from aacr_lib.cli import main
from aacr_lib.features.cache import FeatureCache, default_cache_path


def test_builds_every_split_and_prints_the_paths(tiny_dataset, capsys):
    rc = main(["features", str(tiny_dataset), "--kind", "logmel_pooled", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    for split, count in (("development", 5), ("validation", 2)):
        path = default_cache_path(tiny_dataset, "logmel_pooled", split)
        assert f"{split}: {count} clips, 64-d, in {path}" in out
        with FeatureCache(path) as cache:
            assert len(cache) == count and cache.finished


def test_out_file_for_one_split(tiny_dataset, tmp_path, capsys):
    out = tmp_path / "val.h5"
    args = ["features", str(tiny_dataset), "--kind", "logmel", "--split", "validation"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    assert str(out) in capsys.readouterr().out
    with FeatureCache(out) as cache:
        assert cache.keys() == ["v one.wav", "v two.wav"]


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_errors_are_one_line(tiny_dataset, tmp_path, capsys):
    assert main(["features", str(tmp_path / "nowhere"), "--kind", "logmel"]) == 2
    assert "nowhere not found" in _error_line(capsys)

    args = ["features", str(tiny_dataset), "--kind", "logmel", "--split", "evaluation"]
    assert main(args) == 2
    assert "clotho_captions_evaluation.csv not found" in _error_line(capsys)

    assert main(["features", str(tiny_dataset), "--kind", "vggish", "--no-progress"]) == 2
    assert "aacr setup vggish" in _error_line(capsys)

    args = ["features", str(tiny_dataset), "--kind", "logmel", "--out", str(tmp_path / "a.h5")]
    assert main(args) == 2
    assert "one --split" in _error_line(capsys)
