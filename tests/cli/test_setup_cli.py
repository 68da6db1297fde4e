"""`aacr setup`: one command for a book's assets, several names, `--list`; offline it fails fast."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import time
import zipfile

import pytest

from aacr_lib import assets
from aacr_lib.cli import main
from aacr_lib.evaluation import corenlp

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _release_zip() -> bytes:
    """A zip laid out like stanford-corenlp-full-2015-12-09.zip, holding two stub jars."""

    def jar(entry):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as handle:
            handle.writestr(entry, b"stub")
        return buffer.getvalue()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        root = "stanford-corenlp-full-2015-12-09/"
        bundle.writestr(
            root + "stanford-corenlp-3.6.0.jar",
            jar("edu/stanford/nlp/pipeline/StanfordCoreNLP.class"),
        )
        bundle.writestr(
            root + "stanford-corenlp-3.6.0-models.jar", jar("edu/stanford/nlp/models/x")
        )
    return buffer.getvalue()


@pytest.fixture
def fake_network(monkeypatch):
    """Downloads answered locally: each file gets `url`'s bytes, CoreNLP a release zip; a file
    already there is kept (as `download_file` keeps one that passes its checksum)."""
    fetched = []
    release = _release_zip()

    def download(url, dest, md5=None, sha256_prefix=None, progress=True, **kwargs):
        if not dest.is_file():
            fetched.append(url)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(release if url == corenlp.CORENLP_ZIP_URL else url.encode())
        return dest

    monkeypatch.setattr(assets, "download_file", download)
    monkeypatch.setattr(corenlp, "download_file", download)
    monkeypatch.setattr(corenlp, "CORENLP_ZIP_SHA1", hashlib.sha1(release).hexdigest())
    return fetched


def test_profile_clotho_fetches_every_asset_of_the_book(fake_network, capsys):
    assert {row["name"] for row in assets.status() if row["available"]} == {"all_minilm_l6_v2"}
    code, out, err = run(["setup", "--profile", "clotho"], capsys)
    assert code == 0, err
    for name in assets.for_profile("clotho"):
        assert f"{name}: ready in " in out
        assert assets.get(name).path() is not None, name
    urls = {
        spec.url
        for name in assets.for_profile("clotho")
        for spec in assets.get(name).files.values()
    }
    assert set(fake_network) == urls  # CoreNLP's two jars share the release zip's URL
    # a second run finds everything in place and downloads nothing new
    before = len(fake_network)
    assert run(["setup", "--profile", "clotho"], capsys)[0] == 0
    assert len(fake_network) == before


def test_several_names_and_the_spice_alias(fake_network, capsys):
    code, out, _ = run(["setup", "spice", "bart_base_tokenizer", "stanford_corenlp"], capsys)
    assert code == 0
    assert out.count("stanford_corenlp: ready in") == 1 and "SPICE and SPIDEr" in out
    directory = assets.get("bart_base_tokenizer").directory()
    assert sorted(p.name for p in directory.iterdir()) == [
        "merges.txt",
        "sha256.json",
        "vocab.json",
    ]


def test_profile_demo_fetches_only_what_completes_the_offline_book(fake_network, capsys):
    code, out, _ = run(["setup", "--profile", "demo"], capsys)
    assert code == 0, out
    panns = assets.get("panns_cnn14_decision_level_max")
    (panns_file,) = panns.files.values()
    assert fake_network == [assets.VGGISH_URL, corenlp.CORENLP_ZIP_URL, panns_file.url]


def test_list_shows_state_path_size_and_checksum(capsys):
    directory = assets.get("vggish").directory()
    directory.mkdir(parents=True)
    (directory / "vggish-10086976.pth").write_bytes(b"x" * 2048)
    code, out, _ = run(["setup", "--list"], capsys)
    assert code == 0
    for name in assets.ASSETS:
        assert f"\n{name} [" in f"\n{out}"
    assert "vggish [present]" in out and str(directory) in out and "2.0 KiB" in out
    assert "word2vec_google_news [missing]" in out and "1.6 GiB" in out
    assert "aacr setup word2vec_google_news" in out and "pinned md5" in out
    code, out, _ = run(["setup", "--list", "--profile", "clotho"], capsys)
    assert "all_minilm_l6_v2" not in out and "panns_cnn14_decision_level_max [missing]" in out


def test_bad_requests_are_one_line_errors(capsys):
    for argv, expected in [
        (["setup"], "--profile clotho or --list"),
        (["setup", "nothing"], "unknown asset 'nothing'"),
        (["setup", "--profile", "huge"], "unknown profile 'huge'"),
        (["setup", "vggish", "--profile", "clotho"], "not both"),
        (["setup", "vggish", "--zip", "x.zip"], "apply to `aacr setup spice` only"),
    ]:
        code, _, err = run(argv, capsys)
        assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, argv


def test_offline_the_clotho_profile_fails_within_seconds_naming_each_url(monkeypatch, capsys):
    for name in assets.for_profile("clotho"):
        asset = assets.get(name)
        files = {
            rel: dataclasses.replace(spec, url=f"{UNREACHABLE}/{name}/{rel}")
            for rel, spec in asset.files.items()
        }
        monkeypatch.setitem(assets.ASSETS, name, dataclasses.replace(asset, files=files))
    monkeypatch.setattr(corenlp, "CORENLP_ZIP_URL", f"{UNREACHABLE}/{corenlp.CORENLP_ZIP}")
    start = time.monotonic()
    code, out, err = run(["setup", "--profile", "clotho"], capsys)
    assert time.monotonic() - start < 10
    assert code == 2
    profile = assets.for_profile("clotho")
    assert err.strip() == (
        f"aacr setup: error: {len(profile)} of {len(profile)} assets were not fetched: "
        f"{', '.join(profile)} (above: why, and what fixes each); rerun the same command to resume"
    )
    for name in profile:
        line = next(line for line in out.splitlines() if line.startswith(f"{name}: FAILED"))
        assert f"{UNREACHABLE}/" in line and str(assets.get(name).directory()) in line
