"""Regenerate the parity test data from public inputs and the official tools (see README.md).

Not a test and not part of the library: it runs the official code from checkouts *outside* this
repository, in a separate virtual environment (numpy, pandas, astropy, matplotlib,
scikit-image: what the official tools import).

    python regenerate_expected.py \
        --aac-metrics-example PATH/aac-metrics/data/example_2.csv \
        --caption-evaluation-tools PATH/caption-evaluation-tools \
        --retrieval-baseline PATH/dcase2022-audio-retrieval

`caption-evaluation-tools` must hold its committed jars (meteor-1.5.jar, paraphrase-en.gz,
stanford-corenlp-3.4.1.jar; byte-identical to those of pycocoevalcap 1.2). The `java` on PATH runs
them. SPICE is not run (it needs Stanford CoreNLP 3.6.0): its scorer is replaced by a stub and
SPICE/SPIDEr are left out of the expected numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import io
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "aacm_example2"
KEEP = {
    "bleu_1": "bleu_1",
    "bleu_2": "bleu_2",
    "bleu_3": "bleu_3",
    "bleu_4": "bleu_4",
    "meteor": "meteor",
    "rouge_l": "rouge_l",
    "cider": "cider_d",
}


def write_gz(path: Path, data: bytes) -> None:
    """gzip with a fixed timestamp, so that a rerun gives the same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(data)


def clip_name(index: int) -> str:
    return f"{PREFIX}_{index:03d}.wav"


def references_kept(index: int) -> int:
    """The variable-reference variant keeps the first 1 + index % 5 references of clip `index`."""
    return 1 + index % 5


def convert_example(example: Path) -> tuple[list[list[str]], list[list[str]]]:
    """aac-metrics example_2.csv -> our predictions and Clotho-format references (rows)."""
    rows = list(csv.DictReader(open(example, newline="", encoding="utf-8")))
    predictions = [[clip_name(i), row["caption_predicted"]] for i, row in enumerate(rows)]
    references = [
        [clip_name(i)] + [row[f"caption_{k}"] for k in range(1, 6)] for i, row in enumerate(rows)
    ]
    with open(HERE / f"{PREFIX}_predictions.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["file_name", "caption_predicted"], *predictions])
    text = io.StringIO(newline="")
    header = ["file_name"] + [f"caption_{k}" for k in range(1, 6)]
    csv.writer(text).writerows([header, *references])
    write_gz(HERE / f"{PREFIX}_references.csv.gz", text.getvalue().encode("utf-8"))
    return predictions, references


def run_caption_evaluation_tools(
    cet: Path, predictions: list[list[str]], references: list[list[str]], variable: bool
) -> dict:
    sys.path.insert(0, str(cet))
    cwd = os.getcwd()
    os.chdir(cet)  # the official code writes tmp/ and finds its jars relative to itself
    try:
        import coco_caption.pycocoevalcap.eval as official_eval
        import eval_metrics

        class NoSpice:  # SPICE needs CoreNLP 3.6.0, not available: left out
            def compute_score(self, gts, res):
                return 0.0, [{"All": {"f": 0.0}} for _ in gts]

            def method(self):
                return "SPICE"

        official_eval.Spice = NoSpice
        start = time.time()
        with contextlib.redirect_stdout(io.StringIO()):
            if not variable:
                pred_rows = [{"file_name": n, "caption_predicted": c} for n, c in predictions]
                ref_rows = [
                    {"file_name": r[0], **{f"caption_reference_{k:02d}": r[k] for k in range(1, 6)}}
                    for r in references
                ]
                result = eval_metrics.evaluate_metrics(pred_rows, ref_rows)
            else:
                # evaluate_metrics insists on 5 references; its COCO-format path does not
                order = sorted(range(len(predictions)), key=lambda i: predictions[i][0])
                names = [predictions[i][0] for i in order]
                preds = [predictions[i][1] for i in order]
                gts = [references[i][1 : 1 + references_kept(i)] for i in order]
                pred, ref = eval_metrics.reformat_to_coco(preds, gts, list(range(len(order))))
                Path("tmp").mkdir(exist_ok=True)
                eval_metrics.write_json(ref, Path("tmp/ref.json"))
                eval_metrics.write_json(pred, Path("tmp/pred.json"))
                metrics, per_file = eval_metrics.evaluate_metrics_from_files(
                    Path("tmp/pred.json"), Path("tmp/ref.json")
                )
                combined = eval_metrics.combine_single_and_per_file_metrics(
                    metrics, per_file, names
                )
                result = {key.lower(): value for key, value in combined.items()}
        seconds = time.time() - start
    finally:
        os.chdir(cwd)
    return {
        "metrics": {ours: float(result[theirs]["score"]) for theirs, ours in KEEP.items()},
        "per_clip": {
            ours: {k: float(v) for k, v in result[theirs]["scores"].items()}
            for theirs, ours in KEEP.items()
        },
        "official_seconds": round(seconds, 2),
    }


def run_retrieval_script(baseline: Path) -> dict:
    """The DCASE 2022 eval_script.py on its own test.gt.csv / test.output.csv, full precision."""
    import numpy as np
    from astropy.stats import jackknife

    source = (baseline / "eval_script.py").read_text()
    namespace: dict = {}
    # the definitions only: the module-level call at the bottom prints rounded numbers
    exec(compile(source.split('gt_csv = "test.gt.csv"')[0], "eval_script.py", "exec"), namespace)
    captured: dict = {}
    names = iter(["r1", "r5", "r10", "map10"])
    original = jackknife.jackknife_stats

    def spy(data, statistic, confidence_level=0.95):
        out = original(data, statistic, confidence_level)
        captured[next(names)] = {
            "mean": float(np.mean(data)),
            "estimate": float(out[0]),
            "std_err": float(out[2]),
            "ci": [float(out[3][0]), float(out[3][1])],
            "n": int(len(data)),
        }
        return out

    jackknife.jackknife_stats = spy
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace["retrieval_metrics"](
            str(baseline / "test.gt.csv"), str(baseline / "test.output.csv")
        )
    jackknife.jackknife_stats = original
    return {"metrics": captured, "printed": printed.getvalue().splitlines()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aac-metrics-example", type=Path, required=True)
    parser.add_argument("--caption-evaluation-tools", type=Path, required=True)
    parser.add_argument("--retrieval-baseline", type=Path, required=True)
    args = parser.parse_args()

    predictions, references = convert_example(args.aac_metrics_example)
    cet = args.caption_evaluation_tools.resolve()
    expected = {
        "five_references": run_caption_evaluation_tools(cet, predictions, references, False),
        "variable_references": run_caption_evaluation_tools(cet, predictions, references, True),
    }
    write_gz(
        HERE / f"{PREFIX}_expected.json.gz",
        json.dumps(expected, indent=1, sort_keys=True).encode("utf-8"),
    )

    for name in ("test.gt.csv", "test.output.csv"):
        write_gz(
            HERE / f"dcase2022_retrieval_baseline_{name}.gz",
            (args.retrieval_baseline / name).read_bytes(),
        )
    retrieval = run_retrieval_script(args.retrieval_baseline.resolve())
    (HERE / "dcase2022_retrieval_baseline_expected.json").write_text(
        json.dumps(retrieval, indent=1) + "\n"
    )
    print("done:", {k: v["metrics"] for k, v in expected.items()})


if __name__ == "__main__":
    main()
