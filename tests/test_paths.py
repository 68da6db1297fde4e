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
