"""Benchmark: the captioning metric set without SPICE on 1,045 clips x 5 references.

    .venv/bin/python benchmarks/bench_captioning_metrics.py [--repeat 3] \
        [--official PATH/caption-evaluation-tools --official-python PATH/python] [--json OUT]

Input: the 400 predictions of the parity data (ClothoMix captions, tests/evaluation/data/
make_inputs.py) cycled to 1,045 clips (the Clotho evaluation split's size) with 5 references
each. Reports the wall time of `evaluate_captions`, the time
of each step, and the time spent starting JVMs (the tokenizer's start-up, measured on one
sentence, and METEOR's launch-to-first-answer, which includes loading its paraphrase table).

With `--official`, the same input also goes through caption-evaluation-tools
(`eval_metrics.evaluate_metrics`, SPICE stubbed out as in the parity data) in `--official-python`
(an environment with numpy, matplotlib, scikit-image); runs alternate with ours, and the medians
are compared (target: ours <= 1.2 x official).
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
    print(json.dumps({"seconds": seconds, "cider_d": result["cider"]["score"]}))


def build_input(directory: Path) -> tuple[dict, dict, Path, Path]:
    """1,045 clips cycled from the parity data; also written in the official tool's format."""
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
    return predictions, references, pred_path, ref_path


def run_ours(predictions: dict, references: dict) -> dict:
    from aacr_lib.evaluation.captioning import evaluate_captions
    from aacr_lib.evaluation.functional.tokenization import ptb_tokenize

    start = time.perf_counter()
    ptb_tokenize(["a dog barks"])
    tokenizer_startup = time.perf_counter() - start
    start = time.perf_counter()
    result = evaluate_captions(predictions, references, metrics=["no_spice"])
    seconds = time.perf_counter() - start
    timings = dict(result.timings)
    jvm_start = tokenizer_startup + timings.get("meteor_jvm_ready", 0.0)
    return {
        "seconds": seconds,
        "tokenizer_startup": tokenizer_startup,
        "meteor_jvm_ready": timings.get("meteor_jvm_ready", 0.0),
        "jvm_start": jvm_start,
        "steps": {k: round(v, 3) for k, v in timings.items()},
        "java": result.java,
        "cider_d": result.metrics["cider_d"],
    }


def run_official(python: str, cet: Path, pred: Path, ref: Path) -> dict:
    completed = subprocess.run(
        [python, __file__, "--_official-worker", str(cet), str(pred), str(ref)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--official", type=Path, default=None)
    parser.add_argument("--official-python", default=sys.executable)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_official-worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._official_worker:
        official_worker(*args._official_worker)
        return

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        predictions, references, pred_path, ref_path = build_input(Path(tmp))
        ours, official = [], []
        for _ in range(args.repeat):
            ours.append(run_ours(predictions, references))
            print(f"ours     {ours[-1]['seconds']:.2f} s  {ours[-1]['steps']}", flush=True)
            if args.official:
                official.append(
                    run_official(args.official_python, args.official, pred_path, ref_path)
                )
                print(f"official {official[-1]['seconds']:.2f} s", flush=True)
    median = statistics.median(r["seconds"] for r in ours)
    jvm = statistics.median(r["jvm_start"] for r in ours)
    report = {
        "clips": N_CLIPS,
        "references_per_clip": 5,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "ours_median_seconds": median,
        "ours_jvm_start_median_seconds": jvm,
        "ours_jvm_start_share": jvm / median,
        "ours_runs": ours,
    }
    print(
        f"\nours: {median:.2f} s median of {len(ours)}; JVM start-up {jvm:.2f} s "
        f"({jvm / median:.0%}; METEOR's overlaps the tokenizer and the Python metrics)"
    )
    if official:
        official_median = statistics.median(r["seconds"] for r in official)
        assert all(abs(r["cider_d"] - ours[0]["cider_d"]) < 1e-9 for r in official)
        report.update(
            official_median_seconds=official_median,
            ratio=median / official_median,
            official_runs=official,
        )
        print(
            f"official: {official_median:.2f} s median; ratio ours/official "
            f"{median / official_median:.2f} (target <= 1.2)"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
