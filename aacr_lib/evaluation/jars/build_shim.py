"""Rebuild `aacr-spice-json.jar` from `spice_json_shim/` (needs a JDK's javac; run by hand).

    python -m aacr_lib.evaluation.jars.build_shim [--javac PATH]

Class files target Java 8; the jar's entries carry a fixed timestamp so that a rebuild with the
same javac gives the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "spice_json_shim"
JAR = HERE / "aacr-spice-json.jar"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def build(out: Path = JAR, javac: str | None = None) -> Path:
    javac = javac or shutil.which("javac")
    if javac is None:
        raise SystemExit("javac not found: install a JDK (8 or later) or pass --javac")
    sources = sorted(str(p) for p in SOURCE.rglob("*.java"))
    with tempfile.TemporaryDirectory() as classes:
        subprocess.run([javac, "--release", "8", "-d", classes, *sources], check=True)
        entries = sorted(Path(classes).rglob("*.class"))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as jar:
            manifest = "Manifest-Version: 1.0\r\nCreated-By: aacr\r\n\r\n"
            jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", _FIXED_TIME), manifest)
            service = SOURCE / "META-INF" / "services" / "javax.script.ScriptEngineFactory"
            info = zipfile.ZipInfo(
                "META-INF/services/javax.script.ScriptEngineFactory", _FIXED_TIME
            )
            jar.writestr(info, service.read_bytes())
            for entry in entries:
                name = entry.relative_to(classes).as_posix()
                jar.writestr(zipfile.ZipInfo(name, _FIXED_TIME), entry.read_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--javac", default=None)
    parser.add_argument("--out", type=Path, default=JAR)
    args = parser.parse_args()
    print(build(args.out, args.javac))


if __name__ == "__main__":
    main()
