"""Benchmark: retrieval metrics of a 5,225 x 1,045 score matrix (Clotho evaluation's size).

    .venv/bin/python benchmarks/bench_retrieval_metrics.py [--repeat 5] [--json OUT]

Times, best of `--repeat`: DCASE 2022 text-to-audio R@1/5/10 + mAP@10 with jackknife intervals
(target < 1 s), audio-to-text, mAP@16 with several relevant clips as in the DCASE 2025
protocol (about 5 relevant clips per query), top-10 extraction, and writing + re-scoring a
submission file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_CLIPS, CAPTIONS_PER_CLIP = 1045, 5


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from aacr_lib.evaluation.io import read_ranking
    from aacr_lib.evaluation.retrieval import (
        audio_to_text_metrics,
        evaluate_ranking,
        map_at_k,
        text_to_audio_metrics,
        top_k,
        write_submission,
    )

    rng = np.random.default_rng(0)
    targets = np.repeat(np.arange(N_CLIPS), CAPTIONS_PER_CLIP)
    scores = rng.standard_normal((targets.size, N_CLIPS)).astype(np.float32)
    scores[np.arange(targets.size), targets] += 2.0  # a system that is right now and then
    relevance = targets[:, None] == np.arange(N_CLIPS)[None, :]
    relevance |= rng.random(relevance.shape) < 4 / N_CLIPS  # ~5 relevant clips per query
    captions = [f"caption {i}" for i in range(targets.size)]
    clips = [f"clip_{j:04d}.wav" for j in range(N_CLIPS)]
    references = {clips[j]: captions[j * 5 : j * 5 + 5] for j in range(N_CLIPS)}

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "submission.csv"

        def submission_round_trip():
            write_submission(path, captions, clips, scores)
            evaluate_ranking(read_ranking(path), references)

        timings = {
            "text_to_audio_r1_r5_r10_map10_with_jackknife": best_of(
                args.repeat, lambda: text_to_audio_metrics(scores, targets)
            ),
            "audio_to_text": best_of(args.repeat, lambda: audio_to_text_metrics(scores, targets)),
            "map16_multi_relevant": best_of(args.repeat, lambda: map_at_k(scores, relevance, 16)),
            "top10": best_of(args.repeat, lambda: top_k(scores, 10)),
            "write_and_score_submission": best_of(args.repeat, submission_round_trip),
        }
    metrics = text_to_audio_metrics(scores, targets).metrics
    for name, seconds in timings.items():
        print(f"{name:<46} {seconds * 1000:8.1f} ms")
    print(f"metrics of the synthetic system: {metrics}")
    target = timings["text_to_audio_r1_r5_r10_map10_with_jackknife"]
    print(f"target < 1 s for the DCASE 2022 metrics: {'met' if target < 1 else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps({"shape": list(scores.shape), "seconds": timings}) + "\n")


if __name__ == "__main__":
    main()
