import pytest

from aacr_lib import assets
from aacr_lib.errors import PretrainedUnavailable


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
            "vggish", "VGGish", "test", "aacr setup vggish", {"v.pth": (unreachable, None, None)}
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
    asset = assets.get("panns_cnn14")
    assert "recorded at the first download" in asset.checksum()
    directory = assets.fetch("panns_cnn14", root=tmp_path, progress=False)
    (rel,) = asset.files
    recorded = assets.read_digests(directory)[rel]
    assert recorded["bytes"] == len(b"panns weights") and len(recorded["sha256"]) == 64
    assert asset.path(tmp_path) == directory
    # a file cut short is missing again; a replaced one of the same size fails `aacr setup`
    (directory / rel).write_bytes(b"panns")
    assert asset.path(tmp_path) is None
    (directory / rel).write_bytes(b"PANNS WEIGHTS")
    with pytest.raises(DownloadError, match="differs from .* recorded at its first download"):
        assets.fetch("panns_cnn14", root=tmp_path, progress=False)
    assert not (directory / rel).exists()
    assert any(row["checksum"] for row in assets.status(tmp_path))
