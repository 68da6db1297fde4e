"""`aacr evaluate captions|compare|retrieval`: the official DCASE metrics, with intervals."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aacr_lib.cli.arguments import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser(
        "evaluate", help="captioning and retrieval metrics as the official DCASE tools"
    )
    sub = evaluate.add_subparsers(dest="evaluate_command", metavar="SUBCOMMAND", required=True)

    captions = sub.add_parser(
        "captions",
        help="BLEU-1..4, METEOR, ROUGE-L, CIDEr-D, SPICE, SPIDEr of predicted captions",
        description="Score predicted captions as caption-evaluation-tools (PTB tokenizer, "
        "coco-caption scorers). SPICE and SPIDEr need `aacr setup spice`; without it they are "
        "reported as unavailable and every other metric is computed. Both CSVs are checked "
        "strictly (UTF-8, every row as wide as its header, no empty reference cell); a bad row "
        "is an error naming the file and line, never a changed score.",
    )
    captions.add_argument(
        "--predictions", required=True, help="CSV with file_name and caption (or caption_predicted)"
    )
    captions.add_argument(
        "--references", required=True, help="Clotho captions CSV: file_name,caption_1..caption_5"
    )
    _add_metric_options(captions)
    captions.add_argument("--ci", action="store_true", help="95%% bootstrap intervals over clips")
    captions.add_argument("--json", default=None, help="also write the results as JSON here")
    captions.set_defaults(handler=_captions)

    compare = sub.add_parser(
        "compare",
        help="paired bootstrap test between two prediction files",
        description="Score two prediction files on the same clips and test the difference of "
        "every metric with a paired bootstrap over clips.",
    )
    compare.add_argument("a", help="predictions CSV of system A")
    compare.add_argument("b", help="predictions CSV of system B")
    compare.add_argument("--references", required=True, help="Clotho captions CSV")
    _add_metric_options(compare)
    compare.add_argument("--json", default=None, help="also write the results as JSON here")
    compare.set_defaults(handler=_compare)

    retrieval = sub.add_parser(
        "retrieval",
        help="R@1/5/10 and mAP@10 of a submission file, as DCASE 2022",
        description="Score a retrieval submission (caption,file_name_1,...,file_name_10) "
        "against Clotho captions with the DCASE 2022 definitions and jackknife intervals. "
        "A ranking with fewer than 10 file_name columns (or fewer than the clips, when the "
        "references hold under 10) is an error, not a score: R@10 and mAP@10 need the top 10. "
        "Every input CSV must be UTF-8 with as many fields on every row as in its header.",
    )
    retrieval.add_argument(
        "--ranking",
        required=True,
        help="caption,file_name_1..file_name_10 (at least 10 columns: a shallower ranking is "
        "an error)",
    )
    retrieval.add_argument("--references", required=True, help="Clotho captions CSV")
    retrieval.add_argument("--json", default=None, help="also write the results as JSON here")
    retrieval.set_defaults(handler=_retrieval)


def _add_metric_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        metavar="METRIC",
        help="subset of bleu_1..bleu_4 (or bleu), meteor, rouge_l, cider_d, spice, spider, "
        "no_spice (default: all)",
    )
    parser.add_argument("--resamples", type=positive_int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")


def _metrics(args: argparse.Namespace) -> tuple[str, ...]:
    from aacr_lib.errors import ConfigError
    from aacr_lib.evaluation.captioning import resolve_metrics

    names = None
    if args.metrics is not None:
        names = [part for item in args.metrics for part in item.split(",") if part]
    try:
        return resolve_metrics(names)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _write_json(path: str | None, doc: dict) -> None:
    if path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}")


def _captions(args: argparse.Namespace) -> int:
    from aacr_lib.evaluation.captioning import evaluate_captions
    from aacr_lib.evaluation.io import match_predictions, read_predictions, read_references

    metrics = _metrics(args)
    predictions = read_predictions(args.predictions)
    references = read_references(args.references)
    match_predictions(predictions, references, args.predictions, args.references)
    result = evaluate_captions(
        predictions, references, metrics, ci=args.ci, n_resamples=args.resamples, seed=args.seed
    )
    print(result.table())
    _write_json(args.json, result.to_json())
    return 0


def _compare(args: argparse.Namespace) -> int:
    from aacr_lib.evaluation.captioning import compare_captions
    from aacr_lib.evaluation.io import match_predictions, read_predictions, read_references

    metrics = _metrics(args)
    references = read_references(args.references)
    predictions_a = read_predictions(args.a)
    predictions_b = read_predictions(args.b)
    match_predictions(predictions_a, references, args.a, args.references)
    match_predictions(predictions_b, references, args.b, args.references)
    comparison = compare_captions(
        predictions_a,
        predictions_b,
        references,
        metrics,
        n_resamples=args.resamples,
        seed=args.seed,
    )
    print(comparison.table(Path(args.a).stem, Path(args.b).stem))
    print(comparison.method)
    _write_json(args.json, comparison.to_json())
    return 0


def _retrieval(args: argparse.Namespace) -> int:
    from aacr_lib.evaluation.io import read_ranking, read_references
    from aacr_lib.evaluation.retrieval import evaluate_ranking

    result = evaluate_ranking(read_ranking(args.ranking), read_references(args.references))
    print(result.table())
    _write_json(args.json, result.to_json())
    return 0
