"""`aacr setup NAME`: download a pretrained asset or tool into `AACR_CACHE` (needs the network).

`aacr setup spice` installs Stanford CoreNLP 3.6.0 (code and models jars, from the 2015-12-09
release zip, SHA-1 checked) for SPICE and SPIDEr; `--zip PATH` installs from a zip downloaded by
hand. Other names are the assets of `aacr_lib.assets`.
"""

from __future__ import annotations

import argparse

SPICE_NAMES = ("spice", "stanford_corenlp")


def register(subparsers: argparse._SubParsersAction) -> None:
    setup = subparsers.add_parser(
        "setup",
        help="download a pretrained asset or tool (e.g. `aacr setup spice`)",
        description="Download and verify an asset into AACR_CACHE. `spice`: Stanford CoreNLP "
        "3.6.0 for the SPICE and SPIDEr metrics (about 400 MB).",
    )
    setup.add_argument("name", help="spice, or an asset name listed by `aacr info`")
    setup.add_argument(
        "--zip",
        default=None,
        metavar="PATH",
        help="spice only: install from a local stanford-corenlp-full-2015-12-09.zip",
    )
    setup.add_argument(
        "--keep-zip", action="store_true", help="spice only: keep the downloaded zip"
    )
    setup.set_defaults(handler=_setup)


def _setup(args: argparse.Namespace) -> int:
    from aacr_lib.errors import ConfigError

    if args.name in SPICE_NAMES:
        from aacr_lib.evaluation.corenlp import install_corenlp

        directory = install_corenlp(zip_path=args.zip, keep_zip=args.keep_zip)
        print(f"Stanford CoreNLP 3.6.0 ready in {directory}: SPICE and SPIDEr are available")
        return 0
    if args.zip or args.keep_zip:
        raise ConfigError("--zip and --keep-zip apply to `aacr setup spice` only")
    from aacr_lib import assets

    try:
        assets.get(args.name)
    except KeyError as exc:
        raise ConfigError(f"{exc.args[0]}; or `spice`") from None
    directory = assets.fetch(args.name)
    print(f"{args.name} ready in {directory}")
    return 0
