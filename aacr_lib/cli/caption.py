"""`aacr caption FILE… --run RUN_DIR`: one caption per audio file, from a trained run.

Prints `FILE<TAB>caption` per file on stdout, in the order given. A file that cannot be read
gets one line `FILE: error: …` on stderr and the others are still captioned; the exit code is 0
when every file was captioned, 1 when any failed, 2 when the run itself cannot be used.
"""

from __future__ import annotations

import argparse
import sys

from aacr_lib.cli.arguments import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    caption = subparsers.add_parser(
        "caption",
        help="caption audio files with a trained run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    caption.add_argument("files", nargs="+", metavar="FILE", help="wav, flac, ogg, mp3, …")
    caption.add_argument("--run", required=True, help="run directory of a trained captioner")
    caption.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    caption.add_argument(
        "--method", choices=("beam", "greedy"), default=None, help="default: the run's decoding"
    )
    caption.add_argument("--batch-size", type=positive_int, default=16)
    caption.set_defaults(handler=_caption)


def _caption(args: argparse.Namespace) -> int:
    from aacr_lib.captioning.inference import caption_files

    results = caption_files(
        args.files,
        run_dir=args.run,
        device=args.device,
        method=args.method,
        batch_size=args.batch_size,
    )
    failed = 0
    for result in results:
        if result.ok:
            print(f"{result.path}\t{result.caption}", flush=True)
        else:
            failed += 1
            message = result.error or "unknown error"
            if message.startswith(str(result.path)):
                message = message[len(str(result.path)) :].lstrip(": ")
            print(f"{result.path}: error: {message}", file=sys.stderr, flush=True)
    return 1 if failed else 0
