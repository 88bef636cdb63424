#!/usr/bin/env python3
"""Set up dyadic in ./.venv and run one job. Needs only Python 3.11+ and access to the package index.

    python3 dev.py brief   # install, ingest what the brief needs (once), write out/brief-CHN-RUS-USA.html
    python3 dev.py test    # install with test extras, run the whole test suite (one worker per core)

Source files come from $DYADIC_DATA when it is set (a folder laid out as <DIR>/<source>/<file>); otherwise
dyadic downloads them from their canonical public locations into its cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def sh(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    if code:
        sys.exit(code)


def setup(extras: str) -> None:
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
        stamp.touch()


def workers(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core, at most four (each builds its own session stores, a few
    GB), each test file on one worker (its module fixtures are built once). None when the caller chose."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in args):
        return []
    return ["-n", str(max(1, min(os.cpu_count() or 1, 4))), "--dist", "loadfile"]


def main() -> None:
    job = sys.argv[1] if len(sys.argv) > 1 else ""
    if job == "brief":
        setup("test")
        sh(str(BIN / "dyadic"), "brief", "CHN", "RUS", "--third", "USA", "--out", "out")
    elif job == "test":
        setup("test")
        sh(str(BIN / "python"), "-m", "pytest", *workers(sys.argv[2:]), *sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
