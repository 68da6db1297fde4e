"""`aacr train TASK --experiment NAME [--profile demo|paper] [KEY=VALUE …]`: one run directory.

Rerunning the same command resumes the same run (its directory is named by the config's hash)
from its last epoch checkpoint; a finished run is reported without training again. Several GPUs:
`accelerate launch -m aacr_lib train captioning …` runs the same entry point data-parallel.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

TASKS = ("captioning", "retrieval")


class _TrailingOverridesParser(argparse.ArgumentParser):
    """Takes `KEY=VALUE` words after options too (`--experiment X training.epochs=3`).

    Plain argparse consumes a `nargs="*"` positional at its first chance and then rejects later
    words; here the leftover `KEY=VALUE` words join the overrides instead.
    """

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        late = [word for word in extras if "=" in word and not word.startswith("-")]
        namespace.overrides = [*(getattr(namespace, "overrides", None) or []), *late]
        return namespace, [word for word in extras if word not in late]


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every `aacr train TASK` takes (the same names for every task)."""
    parser.add_argument("--experiment", default="baseline", help="experiment name (see --list)")
    parser.add_argument(
        "--profile",
        default="demo",
        help="demo (ClothoMix, CPU-sized), paper (Clotho, the report's sizes) or smoke",
    )
    parser.add_argument(
        "--data-dir", default=None, help="dataset directory (default: $AACR_DATA/<dataset>)"
    )
    parser.add_argument("--runs-root", default=None, help="root of run directories ($AACR_RUNS)")
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda or auto (a GPU when there is one)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--list", action="store_true", help="list the experiments and profiles, then exit"
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the resolved config and exit"
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE", help="config overrides, e.g. training.epochs=3"
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train",
        help="train an experiment into a run directory (resumes an interrupted one)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("task", choices=TASKS, help="which task")
    add_train_arguments(train)
    train.set_defaults(handler=train_from_args)
    train.__class__ = _TrailingOverridesParser


@dataclass(frozen=True)
class TrainingTask:
    """What `aacr train TASK` needs of a task; the handler itself is the same for every task."""

    listing: Callable[[], str]  # experiments and profiles, for --list
    resolve_config: Callable[..., Any]  # (experiment, profile, overrides) -> config
    train: Callable[..., Any]  # (args, config, overrides, data_dir) -> RunDir
    report: Callable[[dict], str]  # a finished run's metrics, for the terminal


def experiment_listing(experiments: Iterable[tuple[str, str]], profiles: Mapping[str, str]) -> str:
    """`--list`: one `name  text` line per experiment, then per profile, in aligned columns."""
    experiments = list(experiments)
    width = max(len(name) for name in [*(n for n, _ in experiments), *profiles]) + 2
    lines = ["experiments:", *(f"  {name:<{width}}{text}" for name, text in experiments)]
    lines += ["profiles:", *(f"  {name:<{width}}{text}" for name, text in profiles.items())]
    return "\n".join(lines)


def _captioning_listing() -> str:
    from aacr_lib.captioning.experiments import EXPERIMENTS, PROFILE_DESCRIPTIONS

    rows = []
    for experiment in EXPERIMENTS.values():
        table = f" (report Table {experiment.report_table})" if experiment.report_table else ""
        rows.append((experiment.name, f"{experiment.title}{table}: {experiment.description}"))
    return experiment_listing(rows, PROFILE_DESCRIPTIONS)


def _captioning_report(metrics: dict) -> str:
    shown = {k: v for k, v in metrics.items() if k != "unavailable"}
    lines = [json.dumps(shown, indent=2)]
    for name, reason in metrics.get("unavailable", {}).items():
        lines.append(f"{name}: unavailable ({reason})")
    return "\n".join(lines)


def _train_captioning(args: argparse.Namespace, config, overrides, data_dir):
    from aacr_lib.captioning.task import train_captioning

    return train_captioning(
        args.experiment,
        args.profile,
        overrides,
        data_dir=data_dir,
        runs_root=args.runs_root,
        device=args.device,
        progress=not args.no_progress,
    )


def _train_retrieval(args: argparse.Namespace, config, overrides, data_dir):
    from aacr_lib.retrieval.run import run_config

    return run_config(
        config,
        args.experiment,
        args.profile,
        data_dir=data_dir,
        runs_root=args.runs_root,
        device=args.device,
        progress=not args.no_progress,
    )


def training_task(name: str) -> TrainingTask:
    """The `aacr train` entry of a task (imports stay lazy: `aacr --help` loads no torch)."""
    if name == "captioning":
        from aacr_lib.captioning.experiments import resolve_config

        return TrainingTask(
            _captioning_listing, resolve_config, _train_captioning, _captioning_report
        )
    from aacr_lib.retrieval.cli import format_metrics, list_experiments
    from aacr_lib.retrieval.experiments import resolve_config

    return TrainingTask(list_experiments, resolve_config, _train_retrieval, format_metrics)


def train_from_args(args: argparse.Namespace) -> int:
    """The handler of `aacr train TASK …` for every task."""
    task = training_task(args.task)
    if args.list:
        print(task.listing())
        return 0
    from aacr_lib.config import dump_yaml, parse_overrides

    overrides = parse_overrides(args.overrides)
    config = task.resolve_config(args.experiment, args.profile, overrides)
    if args.print_config:
        print(dump_yaml(config), end="")
        return 0
    from aacr_lib.profiles import training_data_dir

    data_dir = training_data_dir(config.data.dataset, args.data_dir, not args.no_progress)
    run = task.train(args, config, overrides, data_dir)
    if not run.complete or int(os.environ.get("RANK", "0")) != 0:
        return 0  # stopped on request, or not the main process of a data-parallel launch
    print(f"run: {run.path}")
    print(task.report(run.metrics()))
    return 0
