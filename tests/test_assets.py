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
