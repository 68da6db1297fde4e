"""Benchmark: the captioning metric set without SPICE on 1,045 clips x 5 references.

    .venv/bin/python benchmarks/bench_captioning_metrics.py [--repeat 3] \
        [--official PATH/caption-evaluation-tools --official-python PATH/python] [--json OUT]

Input: the 400 predictions of the parity data (ClothoMix captions, tests/evaluation/data/
make_inputs.py) cycled to 1,045 clips (the Clotho evaluation split's size) with 5 references
each. Each round runs, one after the other:

- ours, cold: a fresh Python process, as one `aacr evaluate captions` call; the time is that of
  `evaluate_captions` (imports and reading the input excluded, as for the official tool), with
  the time of each step; also the whole process's wall time;
- the official tool (with `--official`): caption-evaluation-tools' `eval_metrics.
  evaluate_metrics` in `--official-python` (an environment with numpy, matplotlib,
  scikit-image), SPICE stubbed out as in the parity data, also in a fresh process;
- ours, warm: `evaluate_captions` again in this process, whose METEOR JVM is kept from the
  previous call (`reuse_meteor`, the default; the first call, untimed, starts it).

Medians of each are reported separately (never mixed); the target is ours cold <= 0.5 x official.
Before the rounds, the METEOR paraphrase index (built once per cache root, `AACR_CACHE`) is made
ready; when it had to be built, the build time is reported (a one-time cost, not in the rounds).
The scores of ours and of the official tool are compared metric by metric.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "evaluation" / "data"
N_CLIPS = 1045
METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l", "cider_d")
OFFICIAL_NAMES = {"cider_d": "cider"}  # caption-evaluation-tools' lower-cased names
TARGET = 0.5


def official_worker(cet: str, predictions: str, references: str) -> None:
    """Run inside the official tool's environment: print its evaluate_metrics wall time."""
    import contextlib
    import io

    sys.path.insert(0, cet)
    os.chdir(cet)
    import coco_caption.pycocoevalcap.eval as official_eval
    import eval_metrics

    class NoSpice:
        def compute_score(self, gts, res):
            return 0.0, [{"All": {"f": 0.0}} for _ in gts]

        def method(self):
            return "SPICE"

    official_eval.Spice = NoSpice
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = eval_metrics.evaluate_metrics(predictions, references)
    seconds = time.perf_counter() - start
    scores = {m: result[OFFICIAL_NAMES.get(m, m)]["score"] for m in METRICS}
    print(json.dumps({"seconds": seconds, "metrics": scores}))


def ours_worker(inputs: str) -> None:
    """Run in a fresh process: one `evaluate_captions` call, as `aacr evaluate captions`."""
    sys.path.insert(0, str(ROOT))
    doc = json.loads(Path(inputs).read_text(encoding="utf-8"))
    print(json.dumps(run_ours(doc["predictions"], doc["references"])))


def build_input(directory: Path) -> tuple[dict, dict, Path, Path, Path]:
    """1,045 clips cycled from the parity data; also written in the official tool's format and
    as JSON for our cold worker."""
    rows = list(csv.reader(open(DATA / "clothomix_parity_predictions.csv", encoding="utf-8")))[1:]
    with gzip.open(DATA / "clothomix_parity_references.csv.gz", "rt", encoding="utf-8") as handle:
        refs = {r[0]: r[1:] for r in list(csv.reader(handle))[1:]}
    predictions, references = {}, {}
    for i in range(N_CLIPS):
        name, caption = rows[i % len(rows)]
        clip = f"bench_{i:04d}.wav"
        predictions[clip], references[clip] = caption, refs[name]
    pred_path, ref_path = directory / "official_predictions.csv", directory / "official_refs.csv"
    with open(pred_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "caption_predicted"])
        writer.writerows(predictions.items())
    with open(ref_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name"] + [f"caption_reference_{k:02d}" for k in range(1, 6)])
        writer.writerows([name, *captions] for name, captions in references.items())
    json_path = directory / "ours_inputs.json"
    json_path.write_text(json.dumps({"predictions": predictions, "references": references}))
    return predictions, references, pred_path, ref_path, json_path


def run_ours(predictions: dict, references: dict) -> dict:
    from aacr_lib.evaluation.captioning import evaluate_captions

    start = time.perf_counter()
    result = evaluate_captions(predictions, references, metrics=["no_spice"])
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "steps": {k: round(v, 3) for k, v in result.timings.items()},
        "java": result.java,
        "metrics": {m: result.metrics[m] for m in METRICS},
    }


def run_ours_cold(json_path: Path) -> dict:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, __file__, "--_ours-worker", str(json_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    doc = json.loads(completed.stdout.strip().splitlines()[-1])
    doc["process_seconds"] = time.perf_counter() - start
    return doc


def run_official(python: str, cet: Path, pred: Path, ref: Path) -> dict:
    completed = subprocess.run(
        [python, __file__, "--_official-worker", str(cet), str(pred), str(ref)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def prepare_index() -> dict:
    """Make the paraphrase index ready in the cache root; the build time if it was built."""
    from aacr_lib.evaluation.functional import meteor
    from aacr_lib.evaluation.resources import pycocoevalcap_file
    from aacr_lib.paths import cache_root

    table = pycocoevalcap_file(meteor.PARAPHRASE_TABLE)
    path = cache_root() / meteor.PARAPHRASE_INDEX_DIR / "paraphrase-en.npz"
    existed = meteor.ParaphraseIndex.load(path, table.stat()) is not None
    start = time.perf_counter()
    meteor.paraphrase_index()
    seconds = time.perf_counter() - start
    return {"path": str(path), "built": not existed, "seconds": seconds}


def _max_difference(a: dict, b: dict) -> float:
    return max(abs(a[m] - b[m]) for m in METRICS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--official", type=Path, default=None)
    parser.add_argument("--official-python", default=sys.executable)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_official-worker", nargs=3, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_ours-worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._official_worker:
        official_worker(*args._official_worker)
        return
    if args._ours_worker:
        ours_worker(args._ours_worker)
        return

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # the default cache root (`.cache/aacr`) is relative to it, for the workers too
    index = prepare_index()
    if index["built"]:
        print(f"paraphrase index built in {index['seconds']:.1f} s (once per cache root)")
    cold, warm, official = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        predictions, references, pred_path, ref_path, json_path = build_input(Path(tmp))
        run_ours(predictions, references)  # starts this process's METEOR JVM (untimed)
        for _ in range(args.repeat):
            cold.append(run_ours_cold(json_path))
            print(
                f"ours cold  {cold[-1]['seconds']:.2f} s (process "
                f"{cold[-1]['process_seconds']:.2f} s)  {cold[-1]['steps']}",
                flush=True,
            )
            if args.official:
                official.append(
                    run_official(args.official_python, args.official, pred_path, ref_path)
                )
                print(f"official   {official[-1]['seconds']:.2f} s", flush=True)
            warm.append(run_ours(predictions, references))
            print(f"ours warm  {warm[-1]['seconds']:.2f} s  {warm[-1]['steps']}", flush=True)
    cold_median = statistics.median(r["seconds"] for r in cold)
    process_median = statistics.median(r["process_seconds"] for r in cold)
    warm_median = statistics.median(r["seconds"] for r in warm)
    jvm_median = statistics.median(r["steps"].get("meteor_jvm_ready", 0.0) for r in cold)
    ours_spread = max(_max_difference(r["metrics"], cold[0]["metrics"]) for r in cold + warm)
    assert ours_spread == 0.0, f"our scores differ between runs by {ours_spread}"
    report = {
        "clips": N_CLIPS,
        "references_per_clip": 5,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "paraphrase_index": index,
        "ours_cold_median_seconds": cold_median,
        "ours_cold_process_median_seconds": process_median,
        "ours_cold_meteor_jvm_ready_median_seconds": jvm_median,
        "ours_warm_median_seconds": warm_median,
        "ours_cold_runs": cold,
        "ours_warm_runs": warm,
        "metrics": cold[0]["metrics"],
    }
    print(
        f"\nours cold: {cold_median:.2f} s median of {len(cold)} (fresh process "
        f"{process_median:.2f} s; METEOR JVM launch to first answer {jvm_median:.2f} s)"
    )
    print(f"ours warm: {warm_median:.2f} s median of {len(warm)} (METEOR JVM kept)")
    if official:
        official_median = statistics.median(r["seconds"] for r in official)
        difference = max(_max_difference(r["metrics"], cold[0]["metrics"]) for r in official)
        assert difference < 1e-9, f"our scores differ from the official ones by {difference}"
        report.update(
            official_median_seconds=official_median,
            ratio=cold_median / official_median,
            warm_ratio=warm_median / official_median,
            max_difference_from_official=difference,
            official_runs=official,
        )
        print(
            f"official: {official_median:.2f} s median; ratio ours cold/official "
            f"{cold_median / official_median:.2f} (target <= {TARGET}); ours warm/official "
            f"{warm_median / official_median:.2f}; largest score difference {difference:.1e}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
