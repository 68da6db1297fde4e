import json
from dataclasses import dataclass

import yaml

from aacr_lib.config import config_hash
from aacr_lib.runs import RunDir, create_run, find_runs, run_name


@dataclass(frozen=True)
class Toy:
    lr: float = 0.1
    layers: int = 2


def test_run_directory_is_named_by_config_hash_and_self_describing(tmp_path):
    run = create_run("captioning", "baseline", Toy(), seed=3, root=tmp_path)
    assert run.path == tmp_path / f"captioning-baseline-{config_hash(Toy())}"
    assert run.name == run_name("captioning", "baseline", Toy())
    assert yaml.safe_load((run.path / "config.yaml").read_text()) == {"lr": 0.1, "layers": 2}
    info = run.info()
    assert info["seed"] == 3 and info["status"] == "running" and info["end_time"] is None
    assert info["versions"]["aacr"] and info["versions"]["torch"]
    assert set(info["git"]) == {"commit", "dirty"}
    run.write_metrics({"cider_d": 0.5})
    run.write_outputs([{"file_name": "a.wav", "caption": "rain"}])
    run.finish()
    assert run.complete
    assert json.loads((run.path / "metrics.json").read_text()) == {"cider_d": 0.5}
    assert (run.path / "outputs.csv").read_text().splitlines() == [
        "file_name,caption",
        "a.wav,rain",
    ]


def test_same_config_reopens_the_same_run_and_records_the_restart(tmp_path):
    first = create_run("retrieval", "baseline", Toy(), seed=0, root=tmp_path)
    second = create_run("retrieval", "baseline", Toy(), seed=0, root=tmp_path)
    assert first.path == second.path
    info = second.info()
    assert len(info["starts"]) == 2 and info["start_time"] == info["starts"][0]
    other = create_run("retrieval", "baseline", Toy(layers=3), seed=0, root=tmp_path)
    assert other.path != first.path


def test_find_runs_filters_and_skips_incomplete(tmp_path):
    done = create_run("captioning", "baseline", Toy(), seed=0, root=tmp_path)
    done.finish()
    create_run("captioning", "layers7", Toy(layers=7), seed=0, root=tmp_path)  # still running
    create_run("retrieval", "baseline", Toy(lr=1.0), seed=0, root=tmp_path).finish()
    assert [r.path for r in find_runs(tmp_path, task="captioning")] == [done.path]
    assert len(find_runs(tmp_path, task="captioning", complete_only=False)) == 2
    assert find_runs(tmp_path / "missing") == []
    assert isinstance(find_runs(tmp_path)[0], RunDir)
