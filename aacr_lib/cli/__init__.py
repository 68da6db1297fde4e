"""The `aacr` command line: one entry point, one module per command group.

Each module in `COMMAND_MODULES` defines `register(subparsers)`, which adds its parser and sets
`handler` (a function `args -> int` exit code). Heavy imports (torch, transformers) happen inside
the handlers so that `aacr --help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from aacr_lib import __version__
from aacr_lib.errors import AacrError

COMMAND_MODULES = (
    "info",
    "data",
    "features",
    "events",
    "evaluate",
    "setup",
    "train",
    "caption",
    "tag",
    "index",
    "search",
    "book",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aacr",
        description="Automated audio captioning and language-based audio retrieval on Clotho.",
    )
    parser.add_argument("--version", action="version", version=f"aacr {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"aacr_lib.cli.{name}").register(subparsers)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """`parser.parse_args`, except that a command with `trailing_overrides` (aacr train) also
    takes `KEY=VALUE` words after its options; any other leftover word is an error."""
    args, extras = parser.parse_known_args(argv)
    if getattr(args, "trailing_overrides", False):
        late = [word for word in extras if "=" in word and not word.startswith("-")]
        args.overrides = [*(args.overrides or []), *late]
        extras = [word for word in extras if word not in late]
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def describe_os_error(exc: OSError) -> str:
    """`PATH: reason` (or `PATH -> OTHER: reason` for a rename or copy)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return reason
    where = str(exc.filename)
    if getattr(exc, "filename2", None):
        where += f" -> {exc.filename2}"
    return f"{where}: {reason}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parse_arguments(parser, argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except AacrError as exc:
        print(f"aacr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only or missing path, a folder for a file
        print(f"aacr {args.command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"aacr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
