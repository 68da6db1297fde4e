"""`aacr search "a dog barks in the rain" --index INDEX -k 10`: ranked recordings with scores.

The query is embedded with the text encoder of the run the index was built with (`aacr index
build`); the k best recordings are printed, best first, with the model's score (dot product or
cosine; exp(-distance) for a Euclidean model).
"""

from __future__ import annotations

import argparse
import json

from aacr_lib.cli.arguments import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    search = subparsers.add_parser(
        "search",
        help="text-to-audio search in an index built by `aacr index build`",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("query", nargs="+", help="the description to search for")
    search.add_argument("--index", required=True, help="index folder")
    search.add_argument("-k", type=positive_int, default=10, help="how many results (default 10)")
    search.add_argument("--run", default=None, help="the run, if moved since the index was built")
    search.add_argument("--device", default="cpu", help="torch device for the text side")
    search.add_argument("--json", action="store_true", help="print the results as JSON")
    search.set_defaults(handler=_search)


def _search(args: argparse.Namespace) -> int:
    from aacr_lib.errors import ConfigError
    from aacr_lib.retrieval.index import SearchIndex

    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}")
    query = " ".join(args.query)
    if not query.strip():
        raise ConfigError('the query is empty; describe the sound, e.g. aacr search "a dog barks"')
    hits = SearchIndex(args.index, run_dir=args.run, device=args.device).search(query, args.k)
    if args.json:
        print(json.dumps([hit.__dict__ for hit in hits], indent=2))
        return 0
    if not hits:
        print("the index holds no recordings")
        return 0
    width = len(str(len(hits)))
    for hit in hits:
        print(f"{hit.rank:>{width}}  {hit.score:8.4f}  {hit.path}")
    return 0
