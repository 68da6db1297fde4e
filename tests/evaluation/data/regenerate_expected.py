"""Compute the expected parity numbers by running the official tools on our inputs.

Not a test and not part of the library. The inputs (`clothomix_parity_*`) are made by this
project (`make_inputs.py`); this script only runs the OFFICIAL tools on them, unmodified, from
checkouts *outside* this repository, in a separate virtual environment holding what they import
(numpy, pandas, astropy, matplotlib, scikit-image). It does not import `aacr_lib`.

    python regenerate_expected.py \
        --caption-evaluation-tools PATH/caption-evaluation-tools \
        --retrieval-baseline PATH/dcase2022-audio-retrieval

- captioning: audio-captioning/caption-evaluation-tools (`eval_metrics.evaluate_metrics` on the
  predictions CSV and the references in its `caption_reference_01..05` format; for the
  variable-reference set, which `evaluate_metrics` refuses (it asserts 5 references), its
  COCO-format path `reformat_to_coco` + `evaluate_metrics_from_files`). It must hold its
  committed jars (meteor-1.5.jar, paraphrase-en.gz, stanford-corenlp-3.4.1.jar); the `java` on
  PATH runs them. SPICE is not run (it needs Stanford CoreNLP 3.6.0): its scorer is replaced by a
  stub and SPICE/SPIDEr are left out of the expected numbers. Nothing else is changed.
- retrieval: xieh97/dcase2022-audio-retrieval's `eval_script.py`, run whole (`runpy`) in a
  directory holding our inputs as `test.gt.csv` / `test.output.csv`; `astropy`'s
  `jackknife_stats` is wrapped to record its full-precision results (it prints 2 decimals).

Writes `clothomix_parity_expected.json.gz` and `clothomix_parity_retrieval_expected.json`, with
the git blob ids of the official files that ran and the Java version, so that a checkout can be
compared with the one used.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PREFIX = "clothomix_parity"
PREDICTIONS = HERE / f"{PREFIX}_predictions.csv"
REFERENCES = HERE / f"{PREFIX}_references.csv.gz"
RETRIEVAL_REFERENCES = HERE / f"{PREFIX}_retrieval_references.csv.gz"
RETRIEVAL_RANKING = HERE / f"{PREFIX}_retrieval_ranking.csv.gz"
KEEP = {  # official key -> ours
    "bleu_1": "bleu_1",
    "bleu_2": "bleu_2",
    "bleu_3": "bleu_3",
    "bleu_4": "bleu_4",
    "meteor": "meteor",
    "rouge_l": "rouge_l",
    "cider": "cider_d",
}
CET_FILES = (
    "eval_metrics.py",
    "coco_caption/pycocoevalcap/eval.py",
    "coco_caption/pycocoevalcap/tokenizer/ptbtokenizer.py",
    "coco_caption/pycocoevalcap/tokenizer/stanford-corenlp-3.4.1.jar",
    "coco_caption/pycocoevalcap/bleu/bleu.py",
    "coco_caption/pycocoevalcap/bleu/bleu_scorer.py",
    "coco_caption/pycocoevalcap/meteor/meteor.py",
    "coco_caption/pycocoevalcap/meteor/meteor-1.5.jar",
    "coco_caption/pycocoevalcap/meteor/data/paraphrase-en.gz",
    "coco_caption/pycocoevalcap/rouge/rouge.py",
    "coco_caption/pycocoevalcap/cider/cider.py",
    "coco_caption/pycocoevalcap/cider/cider_scorer.py",
    "coco_caption/pycocotools/coco.py",
)


def blob_id(path: Path) -> str:
    """The git blob id of a file (what `git hash-object` prints)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def java_version() -> str:
    done = subprocess.run(["java", "-version"], capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[0]


def write_gz(path: Path, data: bytes) -> None:
    """gzip with a fixed timestamp and no file name, so that a rerun gives the same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as f:
        f.write(data)


def references_kept(index: int) -> int:
    """The variable-reference variant keeps the first 1 + index % 5 references of clip `index`
    (row order of the references file)."""
    return 1 + index % 5


def read_references() -> list[list[str]]:
    with gzip.open(REFERENCES, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def official_references_csv(rows: list[list[str]], path: Path) -> None:
    """The references in the official reader's format: file_name,caption_reference_01..05."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name"] + [f"caption_reference_{k:02d}" for k in range(1, 6)])
        writer.writerows(rows)


def run_caption_evaluation_tools(cet: Path, variable: bool) -> dict:
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
        references = read_references()
        with contextlib.redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory() as tmp:
            if not variable:
                official_references_csv(references, Path(tmp) / "references.csv")
                result = eval_metrics.evaluate_metrics(
                    str(PREDICTIONS), str(Path(tmp) / "references.csv")
                )
            else:
                kept = {row[0]: row[1 : 1 + references_kept(i)] for i, row in enumerate(references)}
                with open(PREDICTIONS, newline="", encoding="utf-8") as handle:
                    rows = sorted(csv.DictReader(handle), key=lambda row: row["file_name"])
                names = [row["file_name"] for row in rows]
                preds = [row["caption_predicted"] for row in rows]
                pred, ref = eval_metrics.reformat_to_coco(
                    preds, [kept[n] for n in names], list(range(len(names)))
                )
                eval_metrics.write_json(ref, Path(tmp) / "ref.json")
                eval_metrics.write_json(pred, Path(tmp) / "pred.json")
                metrics, per_file = eval_metrics.evaluate_metrics_from_files(
                    Path(tmp) / "pred.json", Path(tmp) / "ref.json"
                )
                combined = eval_metrics.combine_single_and_per_file_metrics(
                    metrics, per_file, names
                )
                result = {key.lower(): value for key, value in combined.items()}
    finally:
        os.chdir(cwd)
    return {
        "metrics": {ours: float(result[theirs]["score"]) for theirs, ours in KEEP.items()},
        "per_clip": {
            ours: {k: float(v) for k, v in result[theirs]["scores"].items()}
            for theirs, ours in KEEP.items()
        },
    }


def run_retrieval_script(baseline: Path) -> dict:
    """The DCASE 2022 eval_script.py, whole and unchanged, on our inputs; full precision."""
    import numpy as np
    from astropy.stats import jackknife

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

    printed = io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        for source, name in (
            (RETRIEVAL_REFERENCES, "test.gt.csv"),
            (RETRIEVAL_RANKING, "test.output.csv"),
        ):
            with gzip.open(source, "rb") as f, open(Path(tmp) / name, "wb") as out:
                shutil.copyfileobj(f, out)
        os.chdir(tmp)  # the script reads test.gt.csv and test.output.csv from the working dir
        jackknife.jackknife_stats = spy
        try:
            with contextlib.redirect_stdout(printed):
                runpy.run_path(str(baseline / "eval_script.py"), run_name="__main__")
        finally:
            jackknife.jackknife_stats = original
            os.chdir(cwd)
    return {"metrics": captured, "printed": printed.getvalue().splitlines()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caption-evaluation-tools", type=Path, required=True)
    parser.add_argument("--retrieval-baseline", type=Path, required=True)
    args = parser.parse_args()
    cet = args.caption_evaluation_tools.resolve()
    baseline = args.retrieval_baseline.resolve()

    java = java_version()
    expected = {
        "provenance": {
            "tool": "audio-captioning/caption-evaluation-tools",
            "files": {name: blob_id(cet / name) for name in CET_FILES},
            "java": java,
            "spice": "not run (scorer stubbed); SPICE and SPIDEr left out",
        },
        "five_references": run_caption_evaluation_tools(cet, variable=False),
        "variable_references": run_caption_evaluation_tools(cet, variable=True),
    }
    write_gz(
        HERE / f"{PREFIX}_expected.json.gz",
        json.dumps(expected, indent=1, sort_keys=True).encode("utf-8"),
    )
    retrieval = run_retrieval_script(baseline)
    retrieval["provenance"] = {
        "tool": "xieh97/dcase2022-audio-retrieval eval_script.py",
        "files": {"eval_script.py": blob_id(baseline / "eval_script.py")},
    }
    (HERE / f"{PREFIX}_retrieval_expected.json").write_text(
        json.dumps(retrieval, indent=1, sort_keys=True) + "\n"
    )
    print("java:", java)
    for variant in ("five_references", "variable_references"):
        print(variant, json.dumps(expected[variant]["metrics"]))
    print("\n".join(retrieval["printed"]))


if __name__ == "__main__":
    main()
