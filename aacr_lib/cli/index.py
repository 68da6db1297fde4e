"""`aacr index build AUDIO_DIR --run RUN_DIR --out INDEX`: embed a folder of recordings for search.

Every audio file under AUDIO_DIR (wav, flac, ogg/oga/opus, mp3, aiff; any sample rate or
channel count) is embedded with the run's audio encoder into a FAISS index with a manifest.
Running it again embeds only new or changed files and drops files that are gone; unreadable
files and broken symbolic links are reported and skipped; a folder without audio is an error.
Every build writes a new index beside INDEX, checks it and swaps it in whole, so a failure (a
full disk) leaves the previous index as it was. An INDEX of another audio folder is replaced
only with --replace (all its entries are dropped). `aacr index info INDEX` describes an index.

The index type: `auto` (the default for a new index) chooses by the number of recordings:
exact search up to 100,000, above that an IVF index with 4 sqrt(N) cells of which 16 are
searched per query (the rule and the benchmark behind it:
`aacr_lib.retrieval.search.auto_index_kind`); the build report, the manifest and `aacr index
info` say which it chose and why. `--type flat|ivf|hnsw` asks for one (tuned with --nlist and
--nprobe, or --hnsw-m and --ef-search; those options apply to these explicit types). Updating
an index keeps its type unless --type is given; a type chosen by `auto` is chosen again for
the index's new size.
"""

from __future__ import annotations

import argparse

from aacr_lib.cli.arguments import positive_int

# the same as aacr_lib.retrieval.index.INDEX_TYPES (not imported here: it loads FAISS and torch)
INDEX_TYPES = ("auto", "flat", "ivf", "hnsw")


def register(subparsers: argparse._SubParsersAction) -> None:
    index = subparsers.add_parser(
        "index",
        help="build a text-to-audio search index of a folder of recordings",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = index.add_subparsers(dest="index_command", metavar="SUBCOMMAND", required=True)
    build = sub.add_parser(
        "build",
        help="embed AUDIO_DIR with a trained retrieval run (only new files when updating)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build.add_argument("audio_dir", help="folder of recordings (searched recursively)")
    build.add_argument("--run", required=True, help="a trained retrieval run directory")
    build.add_argument("--out", required=True, help="index folder (created or updated)")
    build.add_argument(
        "--type",
        choices=INDEX_TYPES,
        default=None,
        help="auto (default): chosen by collection size; flat: exact search; ivf / hnsw: "
        "approximate, for large collections (an existing index keeps its type unless given)",
    )
    build.add_argument("--nlist", type=int, default=0, help="IVF cells (default 4 * sqrt(N))")
    build.add_argument(
        "--nprobe", type=positive_int, default=8, help="IVF cells searched per query"
    )
    build.add_argument("--hnsw-m", type=positive_int, default=32, help="HNSW links per vector")
    build.add_argument("--ef-search", type=positive_int, default=64, help="HNSW search breadth")
    build.add_argument(
        "--replace",
        action="store_true",
        help="replace an index of another audio folder (its entries are dropped); without it, "
        "that is refused",
    )
    build.add_argument("--device", default="cpu", help="torch device for the audio encoder")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(handler=_build)

    info = sub.add_parser("info", help="what an index holds")
    info.add_argument("index", help="index folder")
    info.set_defaults(handler=_info)


def _build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from aacr_lib.cli.arguments import check_writable_dir
    from aacr_lib.retrieval.index import IndexSettings, build_index

    # the index is built beside its folder and swapped in: that parent must take writes
    check_writable_dir(Path(args.out).resolve().parent, "folder that holds the index")
    settings = None
    if args.type is not None:
        settings = IndexSettings(
            kind=args.type,
            nlist=args.nlist,
            nprobe=args.nprobe,
            hnsw_m=args.hnsw_m,
            ef_search=args.ef_search,
        )
    report = build_index(
        args.audio_dir,
        args.run,
        args.out,
        settings=settings,
        device=args.device,
        progress=not args.no_progress,
        replace=args.replace,
    )
    print(report.summary())
    return 0


def _info(args: argparse.Namespace) -> int:
    from aacr_lib.retrieval.index import (
        describe_settings,
        read_manifest,
        settings_from_manifest,
    )

    manifest = read_manifest(args.index)
    print(f"index {args.index}: {len(manifest['entries'])} file(s) from {manifest['audio_dir']}")
    print(f"run {manifest['run']} ({manifest['experiment']}, {manifest['feature_kind']} features)")
    print(f"faiss {manifest['index']['kind']}, metric {manifest['metric']}, dim {manifest['dim']}")
    choice = manifest.get("index_choice")
    if choice:
        print(
            f"index type: {describe_settings(settings_from_manifest(manifest['index']))} ({choice['reason']})"
        )
    print(f"skipped {len(manifest['skipped'])} file(s); updated {manifest['updated']}")
    return 0
