import json
from dataclasses import dataclass

import pytest
import yaml

from aacr_lib.config import config_hash
from aacr_lib.errors import ConfigError
from aacr_lib.runs import (
    HISTORY_FILE,
    RunDir,
    create_run,
    execute_run,
    find_runs,
    run_name,
    run_path,
)


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


def _clips_csv(directory, text="file_name,caption_1\na.wav,rain falls\n"):
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("development", "validation", "evaluation"):
        (directory / f"clotho_captions_{split}.csv").write_text(text)
    return directory


SPLITS = ("development", "validation", "evaluation")


def test_execute_run_writes_metrics_history_and_marks_the_run_complete(tmp_path):
    data = _clips_csv(tmp_path / "data")

    def body(run):
        run.write_history([{"epoch": 1, "val_loss": 0.5}])
        return {"cider_d": 0.25}

    run = execute_run(
        "captioning", "baseline", Toy(), body, seed=4, runs_root=tmp_path, data_dir=data,
        splits=SPLITS,
    )  # fmt: skip
    assert run.complete and run.info()["seed"] == 4 and run.info()["data_fingerprint"]
    assert run.metrics() == {"cider_d": 0.25, "experiment": "baseline"}
    assert run.history() == [{"epoch": 1, "val_loss": 0.5}]
    document = json.loads((run.path / HISTORY_FILE).read_text())
    assert (document["task"], document["experiment"]) == ("captioning", "baseline")

    def must_not_run(run):
        raise AssertionError("a complete run is not run again")

    again = execute_run("captioning", "baseline", Toy(), must_not_run, seed=4, runs_root=tmp_path)
    assert again.path == run.path and len(again.info()["starts"]) == 1


def test_execute_run_marks_failed_interrupted_and_stopped_runs(tmp_path):
    def fails(run):
        raise ValueError("broken")

    with pytest.raises(ValueError):
        execute_run("retrieval", "a", Toy(lr=1), fails, seed=0, runs_root=tmp_path)
    assert RunDir(run_path("retrieval", "a", Toy(lr=1), tmp_path)).info()["status"] == "failed"

    def interrupted(run):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute_run("retrieval", "a", Toy(lr=2), interrupted, seed=0, runs_root=tmp_path)
    status = RunDir(run_path("retrieval", "a", Toy(lr=2), tmp_path)).info()["status"]
    assert status == "interrupted"

    stopped = execute_run("retrieval", "a", Toy(lr=3), lambda run: None, seed=0, runs_root=tmp_path)
    assert stopped.info()["status"] == "interrupted" and not stopped.complete
    assert not (stopped.path / "metrics.json").exists()
    # the same command resumes it: the run directory is reopened and finished
    resumed = execute_run("retrieval", "a", Toy(lr=3), lambda run: {}, seed=0, runs_root=tmp_path)
    assert resumed.path == stopped.path and resumed.complete
    assert len(resumed.info()["starts"]) == 2


def test_execute_run_refuses_a_run_directory_trained_on_other_data(tmp_path):
    first = _clips_csv(tmp_path / "first")
    other = _clips_csv(tmp_path / "other", "file_name,caption_1\nb.wav,a dog barks\n")
    execute_run(
        "retrieval", "a", Toy(), lambda run: None, seed=0, runs_root=tmp_path / "runs",
        data_dir=first, splits=SPLITS,
    )  # fmt: skip
    with pytest.raises(ConfigError, match="trained on other data"):
        execute_run(
            "retrieval", "a", Toy(), lambda run: {}, seed=0, runs_root=tmp_path / "runs",
            data_dir=other, splits=SPLITS,
        )  # fmt: skip


def test_history_of_an_older_retrieval_run_still_reads(tmp_path):
    run = create_run("retrieval", "baseline", Toy(), seed=0, root=tmp_path)
    (run.path / HISTORY_FILE).write_text(json.dumps([{"epoch": 1}]))  # the bare list of old
    assert run.history() == [{"epoch": 1}]
    run.write_history([{"epoch": 1}, {"epoch": 2}])
    assert [e["epoch"] for e in run.history()] == [1, 2]


def test_data_fingerprint_covers_the_audio_files(tmp_path):
    import os

    import numpy as np
    import soundfile as sf

    from aacr_lib.runs import data_fingerprint

    root = tmp_path / "data"
    (root / "development").mkdir(parents=True)
    header = "file_name," + ",".join(f"caption_{i}" for i in range(1, 6))
    rows = [f"{name},a,b,c,d,e" for name in ("one.wav", "two.wav")]
    (root / "clotho_captions_development.csv").write_text("\n".join([header, *rows]) + "\n")
    clip = root / "development" / "two.wav"
    for name in ("one.wav", "two.wav"):
        sf.write(root / "development" / name, np.zeros(800, np.float32), 8000)
    first = data_fingerprint(root, ["development"])
    assert data_fingerprint(root, ["development"]) == first  # nothing changed: the same
    before = clip.stat()
    sf.write(clip, np.full(800, 0.5, np.float32), 8000)  # same name and size, other audio
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    replaced = data_fingerprint(root, ["development"])
    assert replaced != first
    sf.write(clip, np.zeros(1600, np.float32), 8000)  # longer
    assert data_fingerprint(root, ["development"]) not in (first, replaced)
    clip.unlink()
    assert data_fingerprint(root, ["development"]) not in (first, replaced)


def test_a_run_fingerprinted_before_the_audio_counted_is_still_the_same_data(tmp_path):
    from aacr_lib.runs import check_same_data, data_fingerprint

    data = _clips_csv(tmp_path / "data")
    fingerprint = data_fingerprint(data, SPLITS)
    captions_part = fingerprint.split("-")[0]
    run = create_run("retrieval", "a", Toy(), 0, root=tmp_path / "runs")
    run.update_info(data_fingerprint=captions_part)  # what older runs recorded
    check_same_data(run, fingerprint)  # no error
    run.update_info(data_fingerprint="0123456789ab")
    with pytest.raises(ConfigError, match="trained on other data"):
        check_same_data(run, fingerprint)


def test_a_crafted_or_damaged_run_file_is_one_clear_error(tmp_path):
    from aacr_lib.errors import DataError

    run = create_run("retrieval", "a", Toy(), 0, root=tmp_path)
    marker = tmp_path / "ran"
    (run.path / "config.yaml").write_text(f"!!python/object/apply:os.mkdir ['{marker}']\n")
    with pytest.raises(DataError, match="config.yaml: not a readable run file"):
        run.config()
    assert not marker.exists()
    (run.path / "run.json").write_text("{not json")
    with pytest.raises(DataError, match="run.json: not a readable run file"):
        run.info()
    assert find_runs(tmp_path, complete_only=False) == []  # skipped, as before
