from pathlib import Path

from aacr_lib import paths


def test_roots_prefer_argument_then_environment_then_relative_default(monkeypatch):
    monkeypatch.setenv("AACR_RUNS", "/env/runs")
    assert paths.runs_root("explicit") == Path("explicit")
    assert paths.runs_root() == Path("/env/runs")
    monkeypatch.delenv("AACR_RUNS")
    assert paths.runs_root() == Path("runs")
    assert not paths.runs_root().is_absolute()


def test_each_root_has_its_own_variable(monkeypatch):
    for variable in ("AACR_DATA", "AACR_RUNS", "AACR_CACHE"):
        monkeypatch.delenv(variable, raising=False)
    assert paths.data_root() == Path("data")
    assert paths.cache_root() == Path(".cache/aacr")
    monkeypatch.setenv("AACR_DATA", "elsewhere")
    assert paths.dataset_dir("clothomix") == Path("elsewhere/clothomix")


def test_feature_caches_prefer_argument_then_environment_then_the_dataset(monkeypatch, tmp_path):
    monkeypatch.delenv("AACR_FEATURES", raising=False)
    dataset = tmp_path / "data" / "clotho"
    assert paths.features_root() is None
    assert paths.features_dir(dataset) == dataset / "features"
    monkeypatch.setenv("AACR_FEATURES", str(tmp_path / "env"))
    assert paths.features_root() == tmp_path / "env"
    in_env = paths.features_dir(dataset)
    assert in_env.parent == tmp_path / "env" and in_env.name.startswith("clotho-")
    # One root serves every dataset: two datasets of the same name get their own folders.
    assert paths.features_dir(tmp_path / "other" / "clotho") != in_env
    assert paths.features_dir(dataset) == in_env  # and the same dataset always the same one
    explicit = paths.features_dir(dataset, tmp_path / "arg")
    assert explicit.parent == tmp_path / "arg" and explicit.name == in_env.name
