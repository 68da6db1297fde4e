"""`aacr train retrieval --experiment NAME [--profile demo|paper|smoke] [KEY=VALUE ...]`.

`add_train_parser(train_subparsers)` adds a `retrieval` parser with the options of `aacr train`
(handled by `aacr_lib.cli.train.train_from_args`); `list_experiments` and `format_metrics` are
what `aacr train retrieval --list` and a finished run print. Rerunning the same command reopens
the same run (named by the config's hash): an interrupted run resumes from its last epoch
checkpoint, a finished one is reported without training again.
"""

from __future__ import annotations

import argparse


def add_train_parser(train_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `retrieval` to the subparsers of `aacr train`; returns the new parser."""
    parser = train_subparsers.add_parser(
        "retrieval",
        help="language-based audio retrieval (DCASE 2022 CRNN baseline and the report's rows)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from aacr_lib.cli.train import add_train_arguments, train_from_args

    add_train_arguments(parser)
    parser.set_defaults(handler=train_from_args, task="retrieval")
    return parser


def list_experiments() -> str:
    """The experiments (with their report rows) and the profiles, one per line."""
    from aacr_lib.cli.train import experiment_listing
    from aacr_lib.retrieval.experiments import EXPERIMENTS, PROFILE_DESCRIPTIONS

    rows = []
    for experiment in EXPERIMENTS.values():
        row = f" (report Table 10: {experiment.report_row})" if experiment.report_row else " (new)"
        rows.append((experiment.name, f"{experiment.title}{row}: {experiment.description}"))
    return experiment_listing(rows, PROFILE_DESCRIPTIONS)


def format_metrics(metrics: dict) -> str:
    """R@1/5/10 and mAP@10 with their intervals, and chance R@10, as a small table."""
    from aacr_lib.retrieval.report_tables import METRIC_TITLES

    lines = []
    for key, title in METRIC_TITLES.items():
        low, high = metrics.get("ci", {}).get(key, (float("nan"), float("nan")))
        lines.append(f"{title:<7} {metrics[key]:.4f}  [{low:.4f}, {high:.4f}]")
    lines.append(f"queries {metrics.get('n_queries')}, clips {metrics.get('n_clips')}")
    if metrics.get("chance_r10") is not None:
        lines.append(f"chance R@10 = 10 / clips = {metrics['chance_r10']:.4f}")
    return "\n".join(lines)
