import json

from aacr_lib import assets
from aacr_lib.cli import main


def test_info_json_reports_versions_device_java_and_every_asset(capsys):
    assert main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["versions"]["aacr"] and report["versions"]["torch"]
    assert report["device"]["cuda"] in (True, False)
    assert set(report["java"]["tools"]) == {"the PTB tokenizer", "METEOR 1.5", "SPICE 1.0"}
    names = {row["name"] for row in report["assets"]}
    assert names == set(assets.ASSETS)
    for row in report["assets"]:
        assert row["available"] == (row["path"] is not None)
        assert row["fix"] and row["checksum"]
        assert row["bytes"] is None or row["bytes"] > 0


def test_info_text_names_the_fix_for_missing_assets(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "pretrained assets:" in out
    # the test's AACR_CACHE is empty, so VGGish is missing and its fix is printed
    assert "[missing  ] VGGish" in out and "aacr setup vggish" in out
