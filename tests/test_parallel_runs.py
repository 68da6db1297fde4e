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


def _in_order(calls, jobs, on_done=None):
    assert jobs == 2
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
    assert prepared == ["features"]  # once, before the workers
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
