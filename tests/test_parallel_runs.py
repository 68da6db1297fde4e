"""Runs side by side: `aacr_lib.experiments.run_in_parallel`, `parallel_jobs`, `run_planned`."""

from __future__ import annotations

import os
from functools import partial

import pytest

from aacr_lib import experiments
from aacr_lib.errors import ConfigError
from aacr_lib.experiments import (
    JOBS_VARIABLE,
    ExperimentResult,
    PlannedRun,
    parallel_jobs,
    run_in_parallel,
    run_planned,
)


def worker_facts(tag: str) -> dict:
    """What a worker process looks like from inside (module level: picklable)."""
    import torch

    return {
        "tag": tag,
        "pid": os.getpid(),
        "threads": torch.get_num_threads(),
        "wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def fail(message: str) -> None:
    raise ValueError(message)


def _in_order(calls, jobs, on_done=None, after=None):
    assert jobs == 2
    assert all(first is None or first < index for index, first in enumerate(after or []))
    results = [call() for call in calls]
    for index, result in enumerate(results):
        on_done(index, result)
    return results


def result_of(name: str) -> ExperimentResult:
    return ExperimentResult(name, name.title(), None, f"reason of {name}")


def test_calls_run_in_worker_processes_with_one_thread_each_and_keep_their_order():
    finished = []
    results = run_in_parallel(
        [partial(worker_facts, tag) for tag in "abc"],
        jobs=2,
        on_done=lambda i, r: finished.append(i),
    )
    assert [r["tag"] for r in results] == ["a", "b", "c"]
    assert sorted(finished) == [0, 1, 2]
    assert all(r["pid"] != os.getpid() for r in results)
    assert all(r["threads"] == 1 and r["wait_policy"] == "PASSIVE" for r in results)


def test_the_parent_environment_is_restored(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    run_in_parallel([partial(worker_facts, "a"), partial(worker_facts, "b")], jobs=2)
    assert "OMP_NUM_THREADS" not in os.environ


def test_one_job_runs_here_in_order():
    results = run_in_parallel([partial(worker_facts, "a"), partial(worker_facts, "b")], jobs=1)
    assert [r["pid"] for r in results] == [os.getpid()] * 2


def test_an_error_in_a_worker_is_raised_here():
    with pytest.raises(ValueError, match="broken run"):
        run_in_parallel([partial(fail, "broken run"), partial(worker_facts, "b")], jobs=2)


def timed_step(marker: str, seconds: float, needs: str | None = None) -> dict:
    """Sleep, then leave `marker`; say whether `needs` was there at the start and when this
    started and ended (module level: picklable)."""
    import time
    from pathlib import Path

    started = time.time()
    found = needs is None or Path(needs).exists()
    time.sleep(seconds)
    Path(marker).write_text("done")
    return {"found": found, "started": started, "ended": time.time()}


def test_a_call_starts_only_after_the_one_it_waits_for(tmp_path):
    prepared = str(tmp_path / "prepared")
    steps = [
        partial(timed_step, prepared, 0.5),
        partial(timed_step, str(tmp_path / "a"), 0.0, needs=prepared),
        partial(timed_step, str(tmp_path / "b"), 0.0, needs=prepared),
    ]
    results = run_in_parallel(steps, jobs=2, after=[None, 0, 0])
    assert [r["found"] for r in results] == [True, True, True]
    # without the dependency the second worker starts a reader at once, before the marker
    unordered = tmp_path / "unordered"
    unordered.mkdir()
    prepared = str(unordered / "prepared")
    steps = [
        partial(timed_step, prepared, 0.5),
        partial(timed_step, prepared + "-b", 0.0, prepared),
    ]
    assert [r["found"] for r in run_in_parallel(steps, jobs=2)] == [True, False]


def test_calls_others_wait_for_start_first(tmp_path):
    """Call 2 is awaited (call 3 needs it): it starts with call 0, before call 1."""
    steps = [partial(timed_step, str(tmp_path / name), 0.4) for name in "abc"]
    steps.append(partial(timed_step, str(tmp_path / "d"), 0.0, needs=str(tmp_path / "c")))
    results = run_in_parallel(steps, jobs=2, after=[None, None, None, 2])
    assert results[3]["found"]
    assert results[2]["started"] < results[1]["started"]
    assert results[1]["started"] >= min(results[0]["ended"], results[2]["ended"]) - 0.05


def test_a_call_may_wait_only_for_an_earlier_one():
    with pytest.raises(ValueError, match="earlier"):
        run_in_parallel(
            [partial(worker_facts, "a"), partial(worker_facts, "b")], 2, after=[1, None]
        )


def test_jobs_are_one_per_core_on_the_cpu_and_one_on_a_gpu(monkeypatch):
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert parallel_jobs("cpu", 10) == cores
    assert parallel_jobs("cpu", 1) == 1  # never more workers than runs to train
    assert parallel_jobs("cuda", 10) == 1
    monkeypatch.setenv(JOBS_VARIABLE, "3")
    assert parallel_jobs("cuda", 10) == 3
    monkeypatch.setenv(JOBS_VARIABLE, "0")
    assert parallel_jobs("cpu", 10) == 1
    monkeypatch.setenv(JOBS_VARIABLE, "two")
    with pytest.raises(ConfigError, match=JOBS_VARIABLE):
        parallel_jobs("cpu", 10)


def test_planned_runs_prepare_once_train_pending_ones_and_keep_the_order(monkeypatch):
    # two jobs, but in-process calls (closures cannot go to a worker): the order is then fixed
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    monkeypatch.setattr(experiments, "run_in_parallel", _in_order)
    prepared, calls, reported = [], [], []

    def call(name):
        calls.append(name)
        return result_of(name)

    def planned(name, pending, parallel=True):
        return PlannedRun(
            name,
            partial(call, name),
            pending,
            prepare=partial(prepared.append, "features"),
            prepare_key="features",
            parallel=parallel,
        )

    results = run_planned(
        [
            planned("done", False),
            planned("last", True, parallel=False),
            planned("a", True),
            planned("b", True),
        ],
        "cpu",
        report=lambda label, result: reported.append(label),
    )
    assert list(results) == ["done", "last", "a", "b"]  # the order asked for
    assert [r.reason for r in results.values()] == [f"reason of {n}" for n in results]
    assert prepared == ["features"]  # once, in the pool, before the runs that read it
    assert calls == ["a", "b", "done", "last"]  # pending parallel ones first, then the rest here
    assert sorted(reported) == sorted(results)


def test_nothing_is_prepared_when_runs_train_one_at_a_time(monkeypatch):
    """On a GPU (one job) each run builds what it reads, on its own device."""
    monkeypatch.delenv(JOBS_VARIABLE, raising=False)
    prepared = []
    planned = [
        PlannedRun(n, partial(result_of, n), True, partial(prepared.append, n), n) for n in "ab"
    ]
    assert list(run_planned(planned, "cuda")) == ["a", "b"]
    assert prepared == []


def test_seeds_are_planned_next_to_each_other_and_pooled_into_one_result():
    from aacr_lib.experiments import plan_seeds, pool_seeds, seed_overrides

    assert seed_overrides(7, 3) == [[], ["training.seed=8"], ["training.seed=9"]]

    def plan(label, experiment, overrides):
        return PlannedRun(label, partial(result_of, experiment), True, run_dir=repr(overrides))

    planned, extra = plan_seeds(
        {"base": ("baseline", ["x=1"]), "other": ("lstm", [])}, 2, lambda name, o: 0, plan
    )
    assert [p.label for p in planned] == ["base", "base (seed 1)", "other", "other (seed 1)"]
    assert [p.run_dir for p in planned][:2] == ["['x=1']", "['x=1', 'training.seed=1']"]
    assert extra == {"base": ["base (seed 1)"], "other": ["other (seed 1)"]}

    from aacr_lib.runs import RunDir

    runs = {label: RunDir(f"/runs/{index}") for index, label in enumerate(["a", "a2", "b"])}
    results = {
        "a": ExperimentResult("a", "A", runs["a"], seconds=2.0, reused=True),
        "a (seed 1)": ExperimentResult("a", "A", runs["a2"], seconds=3.0),
        "b": ExperimentResult("b", "B", None, "missing weights"),
        "b (seed 1)": ExperimentResult("b", "B", None, "missing weights"),
    }
    pooled = pool_seeds(results, {"a": ["a (seed 1)"], "b": ["b (seed 1)"]})
    assert list(pooled) == ["a", "b"]
    assert pooled["a"].runs == (runs["a"], runs["a2"]) and pooled["a"].seeds == 2
    assert pooled["a"].seconds == 5.0 and not pooled["a"].reused
    assert pooled["b"].seeds == 0 and pooled["b"].reason == "missing weights"
