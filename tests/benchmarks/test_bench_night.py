"""`benchmarks/bench_night.py`: from measurements to chapter and book estimates (no timing)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_night", ROOT / "benchmarks" / "bench_night.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _captioning(steps_s: float) -> dict:
    return {
        "task": "captioning",
        "parameters": 1000,
        "epochs": 20,
        "micro_batches_per_epoch": 100,
        "seconds_per_micro_batch": steps_s,
        "validation_seconds_per_example": 0.01,
        "validation_examples": 5225,
        "epoch_decode_clips": 1045,
        "checkpoint_seconds": 2.0,
        "decode_worst_seconds_per_clip": 0.1,
        "decode_expected_seconds_per_clip": 0.02,
        "greedy_expected_seconds_per_clip": 0.01,
    }


def _retrieval() -> dict:
    return {
        "task": "retrieval",
        "parameters": 1000,
        "epochs": 50,
        "micro_batches_per_epoch": 600,
        "seconds_per_micro_batch": 0.1,
        "validation_seconds_per_example": 0.001,
        "validation_examples": 1045,
        "checkpoint_seconds": 0.5,
    }


@pytest.fixture
def measured(bench):
    scoring = {
        "epoch_seconds": 30.0,
        "final_seconds": 30.0,
        "fast_seconds": 5.0,
        "meteor_cold_start_seconds": 10.0,
    }
    runs = {}
    for name, overrides in bench._captioning_runs():
        runs[f"captioning {bench.run_name(name, overrides)}"] = _captioning(1.0)
    for number in ("06", "07"):
        for name in bench.CHAPTERS[number]["retrieval"]:
            runs[f"retrieval {name}"] = _retrieval()
    for m in runs.values():
        m["estimate"] = {
            case: bench.run_seconds(m, scoring, case) for case in ("expected", "worst")
        }
    features = {"vggish": {"all_splits_seconds": 600.0}, "logmel": {"all_splits_seconds": 60.0}}
    return {"runs": runs, "scoring": scoring, "features": features}


def test_a_captioning_run_is_epochs_of_training_validation_decoding_and_checkpoint(bench, measured):
    m = measured["runs"]["captioning baseline"]
    epoch = 100 * 1.0 + 5225 * 0.01 + 1045 * 0.02 + 30.0 + 2.0
    assert m["estimate"]["expected"]["epoch_seconds"] == pytest.approx(epoch)
    final = 1045 * 0.02 + 30.0
    assert m["estimate"]["expected"]["run_seconds"] == pytest.approx(20 * epoch + final)
    worst_epoch = epoch - 1045 * 0.02 + 1045 * 0.1
    assert m["estimate"]["worst"]["run_seconds"] == pytest.approx(
        20 * worst_epoch + 1045 * 0.1 + 30
    )


def test_chapters_count_each_run_once_where_it_is_first_trained(bench, measured):
    result = bench.estimate(measured)
    chapters = result["chapters"]
    assert chapters["03"]["runs"] == [
        "captioning baseline",
        "captioning baseline loss.mask_pad=true",
    ]
    assert "captioning baseline" not in chapters["04"]["runs"]
    assert chapters["05"]["runs"] == ["captioning final"]
    assert chapters["06"]["runs"] == [f"retrieval {n}" for n in bench.CHAPTERS["06"]["retrieval"]]
    assert not set(chapters["06"]["runs"]) & set(chapters["07"]["runs"])
    runs = measured["runs"]
    expected_03 = (
        600.0  # the VGGish caches
        + runs["captioning baseline"]["estimate"]["expected"]["run_seconds"]
        + runs["captioning baseline loss.mask_pad=true"]["estimate"]["expected"]["run_seconds"]
        + 10.0  # METEOR's JVM
        + (1045 * 0.02 + 30.0)  # the organisers' checkpoint
        + 30.0  # the trivial system
        + (1045 * 0.01 + 5.0)  # the greedy redecode
    )
    assert chapters["03"]["expected"] == pytest.approx(expected_03)
    assert result["book"]["expected"] == pytest.approx(
        sum(c["expected"] for c in chapters.values())
    )
    assert result["book"]["worst"] > result["book"]["expected"]


def test_the_report_prints_every_chapter_and_is_json_ready(bench, measured):
    measured.update(bench.estimate(measured))
    measured.update(
        device="cpu",
        device_name="cpu",
        threads=2,
        notes=["a note"],
        subset={
            "clips": {"development": 8, "validation": 2, "evaluation": 2},
            "steps": 2,
            "warmup": 1,
            "decode_clips": 1,
            "score_clips": 40,
        },
        clothomix_build={
            "clips": 12,
            "seconds": 0.3,
            "seconds_per_clip": 0.025,
            "full_build_seconds": 150.0,
            "full_build_gigabytes": 11.8,
        },
    )
    measured["features"]["vggish"].update(device="cpu", seconds_per_clip=0.6)
    measured["features"]["logmel"].update(device="cpu", seconds_per_clip=0.04)
    text = bench.format_report(measured)
    for number in bench.CHAPTERS:
        assert any(line.startswith(number + " ") for line in text.splitlines()), number
    assert "book (chapters 03-07)" in text and "note: a note" in text
    json.dumps(measured)


def test_the_chapters_follow_the_notebooks(bench):
    # The runs each chapter trains, as its notebook calls them.
    source = {
        path.name[:2]: path.read_text(encoding="utf-8")
        for path in (ROOT / "notebooks").glob("0[3-7]_*.ipynb")
    }
    assert "loss.mask_pad=true" in source["03"] and "organisers_checkpoint" in source["03"]
    assert 'in_sections(\\"6.1.1\\", \\"6.1.2\\", \\"6.1.3\\")' in source["04"]
    assert '\\"final\\"' in source["05"]
    from aacr_lib.retrieval.book import CHAPTER_RUNS

    for number, stem in (("06", "06_retrieval_baseline"), ("07", "07_retrieval_experiments")):
        assert f'run_chapter(context, \\"{stem}\\")' in source[number]
        assert bench.CHAPTERS[number]["retrieval"] == list(CHAPTER_RUNS[stem])


def test_every_trained_run_counts_once_per_seed_and_the_caches_once(bench, measured):
    one, three = bench.estimate(measured), bench.estimate(measured, seeds=3)
    assert three["seeds"] == 3 and one["seeds"] == 1
    features = 600.0 + 60.0
    extras_and_meteor = {}
    for number, chapter in one["chapters"].items():
        runs = sum(
            measured["runs"][k]["estimate"]["expected"]["run_seconds"] for k in chapter["runs"]
        )
        extras_and_meteor[number] = chapter["expected"] - runs
        assert three["chapters"][number]["expected"] == pytest.approx(
            extras_and_meteor[number] + 3 * runs
        )
    assert sum(extras_and_meteor.values()) > features  # the caches are among what counts once
