"""`aacr book`: execute the numbered notebooks with papermill, then build the HTML book."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    book = subparsers.add_parser(
        "book", help="run every notebook on a profile (papermill) and build the HTML book"
    )
    book.add_argument("--profile", choices=("demo", "clotho"), default="demo")
    book.add_argument("--only", nargs="+", metavar="NN", help="run only these notebook numbers")
    book.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    book.add_argument(
        "--data-root", default=None, help="datasets root (default: $AACR_DATA, data/)"
    )
    book.add_argument("--runs-root", default=None, help="runs root (default: $AACR_RUNS, runs/)")
    book.add_argument(
        "--seeds",
        type=int,
        default=None,
        metavar="N",
        help="training seeds per experiment (default: the profile's: demo 1, clotho 3; "
        "$AACR_SEEDS)",
    )
    book.add_argument("--smoke", action="store_true", help="tiny data, one step: a quick check")
    book.add_argument("--force", action="store_true", help="re-execute unchanged notebooks too")
    book.add_argument("--no-html", action="store_true", help="execute only; skip the HTML build")
    book.add_argument("--root", default=".", help="project root holding notebooks/ and _toc.yml")
    book.add_argument(
        "--check",
        action="store_true",
        help="only the preflight: data, assets, device and Java per chapter; exit 1 when any "
        "chapter cannot run fully",
    )
    book.set_defaults(handler=_book)


def _book(args: argparse.Namespace) -> int:
    import os

    # Kernels inherit this: OpenMP busy-waiting slows torch badly when cores are shared.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from aacr_lib.errors import ConfigError
    from aacr_lib.preflight import preflight
    from aacr_lib.profiles import SEEDS_VARIABLE

    if args.seeds is not None:
        if args.seeds < 1:
            raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
        os.environ[SEEDS_VARIABLE] = str(args.seeds)  # this process's plan and the kernels'

    start = time.perf_counter()
    checked = preflight(args.profile, args.device, args.data_root, args.root, args.only)
    print(checked.report(), flush=True)
    if args.check:
        return 0 if checked.ready else 1

    import contextlib

    from aacr_lib.book import (
        build_html,
        execute_book,
        notebook_parameters,
        notebooks_to_execute,
        train_ahead,
    )
    from aacr_lib.cli.arguments import check_writable_dir
    from aacr_lib.experiments import parallel_jobs
    from aacr_lib.paths import runs_root
    from aacr_lib.profiles import notebook_context

    # The kernels run in the project root: folders given here are taken from where the command
    # runs, the defaults from the root (as in the kernels).
    data_root = str(Path(args.data_root).resolve()) if args.data_root else None
    runs = str(Path(args.runs_root).resolve()) if args.runs_root else None
    with contextlib.chdir(args.root):
        check_writable_dir(runs_root(runs), "runs root")
        check_writable_dir(Path("_build"), "book's build folder")
    parameters = notebook_parameters(args.profile, args.device, data_root, runs, args.smoke)
    to_execute = notebooks_to_execute(args.root, parameters, only=args.only, force=args.force)
    with contextlib.chdir(args.root):
        # Build or check the dataset once, up front, rather than inside the first notebook.
        context = notebook_context(args.profile, data_root, runs, args.device, args.smoke)
        print(f"profile {args.profile}: data {context.data_dir}, runs {context.runs_root}")
        jobs = 1
        if to_execute:
            # every run the chapters about to execute need, in one pool of workers; then the
            # chapters only read runs, and as many execute at once as runs trained
            ahead = train_ahead(context, [notebook.stem for notebook in to_execute])
            if ahead.complete:
                jobs = parallel_jobs(args.device, len(to_execute))
    results = execute_book(args.root, parameters, only=args.only, force=args.force, jobs=jobs)
    failed = [result for result in results if result.status == "failed"]
    if not args.no_html:
        index = build_html(args.root)
        print(f"HTML book: {index}")
    print(
        f"{len(results) - len(failed)}/{len(results)} notebooks ok in {time.perf_counter() - start:.0f} s"
    )
    for result in failed:
        print(f"failed: {result.describe()} (executed copy: {Path(result.output or '')})")
    return 1 if failed else 0
