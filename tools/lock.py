#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["packaging==25.0"]
# ///
"""Locks cloud-init/requirements/*.in into *.txt for `pip install --require-hashes --no-deps`.

uv resolves once for every platform; this keeps, for each Droplet image (its CPython on linux
x86_64 with its glibc), only the file pip would install there, because a lock with every
platform's hashes is about three times the 64 KiB DigitalOcean allows for all of user-data.
Run: `uv run tools/lock.py`.
"""

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import parse_wheel_filename

REQUIREMENTS = Path(__file__).resolve().parent.parent / "cloud-init" / "requirements"
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


class Target:
    """One Droplet image: its CPython and its glibc."""

    def __init__(self, image: str, python: str, glibc_minor: int):
        self.image = image
        major, minor, _ = (int(p) for p in python.split("."))
        self.environment = {
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "os_name": "posix",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "python_version": f"{major}.{minor}",
            "python_full_version": python,
            "implementation_version": python,
        }
        # Newest glibc first, each legacy name right after the version it stands for, as pip ranks them.
        platforms = []
        for glibc in range(glibc_minor, 4, -1):
            platforms.append(f"manylinux_2_{glibc}_x86_64")
            if glibc in LEGACY_MANYLINUX:
                platforms.append(f"{LEGACY_MANYLINUX[glibc]}_x86_64")
        platforms.append("linux_x86_64")
        interpreter = f"cp{major}{minor}"
        # Most preferred first: among a version's wheels pip installs the one with the best-ranked tag.
        ranked = [*cpython_tags((major, minor), [interpreter], platforms), *compatible_tags((major, minor), interpreter, platforms)]
        self.rank: dict = {}
        for position, tag in enumerate(ranked):
            self.rank.setdefault(tag, position)

    def needs(self, package: dict) -> bool:
        return "marker" not in package or Marker(package["marker"]).evaluate(self.environment)

    def best_wheel(self, package: dict) -> dict | None:
        """The wheel pip would install here, or None if no wheel fits."""
        fitting = []
        for wheel in package.get("wheels", []):
            tags = parse_wheel_filename(wheel["url"].rsplit("/", 1)[1])[3]
            ranks = [self.rank[tag] for tag in tags if tag in self.rank]
            if ranks:
                fitting.append((min(ranks), wheel["url"], wheel))
        return min(fitting)[2] if fitting else None


# Resolved but not installed: jsonschema's optional IRI format check builds a parser when it is imported,
# about 1.4 CPU seconds in every student's server start (jupyter_events imports it), for a check
# nothing in a class uses; jsonschema skips that format when the package is absent.
LEFT_OUT = {"rfc3987-syntax", "lark"}

TARGETS = (
    Target("debian-12-x64", "3.11.2", 36),
    Target("ubuntu-24-04-x64", "3.12.3", 39),
)


def resolve(requirements_in: Path) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "pylock.toml"
        subprocess.run(
            ["uv", "pip", "compile", "--quiet", "--universal", "--python-version", "3.11",
             "--no-header", "-o", str(lock), str(requirements_in)],
            check=True,
        )
        return tomllib.loads(lock.read_text())["packages"]


def requirement(package: dict) -> str | None:
    """The requirement line with the hash of the file each target installs, or None if none needs it."""
    targets = [t for t in TARGETS if t.needs(package)]
    if not targets:
        return None
    files = []
    for target in targets:
        file = target.best_wheel(package) or package.get("sdist")
        if file is None:
            sys.exit(f"{package['name']} {package['version']}: no wheel or sdist for {target.image}")
        if file not in files:
            files.append(file)
    # A marker is kept only where the targets disagree, e.g. a version that needs Python 3.12.
    marker = f" ; {package['marker']}" if len(targets) < len(TARGETS) else ""
    hashes = "".join(f" \\\n    --hash=sha256:{f['hashes']['sha256']}" for f in files)
    return f"{package['name']}=={package['version']}{marker}{hashes}\n"


def lock(requirements_in: Path) -> None:
    unpinned = [line for line in requirements_in.read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#") and "==" not in line]
    if unpinned:
        sys.exit(f"{requirements_in.name}: pin every requirement with ==: {unpinned}")
    lines = [r for r in map(requirement, (p for p in resolve(requirements_in) if p["name"] not in LEFT_OUT)) if r]
    header = (f"# Written by tools/lock.py from {requirements_in.name}; do not edit. Hashes of the files pip installs on\n"
              f"# {' and '.join(t.image for t in TARGETS)} only.\n")
    requirements_in.with_suffix(".txt").write_text(header + "".join(lines))


if __name__ == "__main__":
    for name in sys.argv[1:] or ["hub.in", "user.in"]:
        lock(REQUIREMENTS / name)
