"""`aacr train TASK --experiment NAME [--profile demo|paper] [--seeds N] [KEY=VALUE …]`: one run
directory per seed.

Rerunning the same command resumes the same run (its directory is named by the config's hash)
from its last epoch checkpoint; a finished run is reported without training again. Several GPUs:
`accelerate launch -m aacr_lib train captioning …` runs the same entry point data-parallel.
"""

from __future__ import annotations

import argparse
import os

# The tasks of `aacr_lib.experiments.TASK_MODULES` (not imported: `aacr --help` stays instant;
# a test checks that both name the same tasks).
TASKS = ("captioning", "retrieval", "tagging")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every `aacr train TASK` takes (the same names for every task)."""
    parser.add_argument("--experiment", default="baseline", help="experiment name (see --list)")
    parser.add_argument(
        "--profile",
        default="demo",
        help="demo (ClothoMix, CPU-sized), clotho (Clotho, the report's sizes; also called "
        "paper) or smoke",
    )
    parser.add_argument(
        "--data-dir", default=None, help="dataset directory (default: $AACR_DATA/<dataset>)"
    )
    parser.add_argument("--runs-root", default=None, help="root of run directories ($AACR_RUNS)")
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda or auto (a GPU when there is one)"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="train N runs with seeds training.seed, +1, … (each its own run directory)",
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
    # `KEY=VALUE` words after options (`--experiment X training.epochs=3`) join the overrides:
    # argparse takes a `nargs="*"` positional at its first chance only (see `cli.main`).
    train.set_defaults(handler=train_from_args, trailing_overrides=True)


def _task_modules(task: str):
    """The task's `run` (train_config) and `display` (format_metrics) modules; imported here,
    not at the top, so that `aacr --help` loads no torch."""
    if task == "captioning":
        from aacr_lib.captioning import display, run
    elif task == "tagging":
        from aacr_lib.tagging import display, run
    else:
        from aacr_lib.retrieval import display, run
    return run, display


def train_from_args(args: argparse.Namespace) -> int:
    """The handler of `aacr train TASK …` for every task."""
    from aacr_lib.cli.arguments import check_writable_dir
    from aacr_lib.config import dump_yaml
    from aacr_lib.errors import ConfigError
    from aacr_lib.experiments import experiment_set, seed_overrides
    from aacr_lib.paths import runs_root
    from aacr_lib.profiles import training_data_dir

    experiments = experiment_set(args.task)
    if args.list:
        print(experiments.listing())
        return 0
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
    config = experiments.resolve(args.experiment, args.profile, args.overrides)
    configs = [
        experiments.resolve(args.experiment, args.profile, [*args.overrides, *extra])
        for extra in seed_overrides(config.training.seed, args.seeds)
    ]
    if args.print_config:
        print("\n---\n".join(dump_yaml(seeded) for seeded in configs), end="")
        return 0
    check_writable_dir(runs_root(args.runs_root), "runs root")
    run_module, display = _task_modules(args.task)
    data_dir = training_data_dir(config.data.dataset, args.data_dir, not args.no_progress)
    for seeded in configs:
        run = run_module.train_config(
            seeded,
            args.experiment,
            args.profile,
            data_dir=data_dir,
            runs_root=args.runs_root,
            device=args.device,
            progress=not args.no_progress,
        )
        if not run.complete or int(os.environ.get("RANK", "0")) != 0:
            return 0  # stopped on request, or not the main process of a data-parallel launch
        if len(configs) > 1:
            print(f"seed {seeded.training.seed}:")
        print(f"run: {run.path}")
        print(display.format_metrics(run.metrics()))
    return 0
