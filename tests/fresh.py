"""A fresh machine, as far as a test can make one: a copy of what a clone holds, a new
virtual environment and an empty home.

Used by the tests that install the package from scratch (test_binder.py,
test_install.py). They need PyPI (and the npm registry where the install builds the front
end): without a network they are skipped, with the reason, except under ``CI=true``,
where every failure fails. Downloads are kept in pip's and npm's own caches, outside the
repository, so that a second run is quicker; results do not depend on them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What pip and npm print when there is no network (or no name resolution).
OFFLINE_SIGNS = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ENETUNREACH",
)


def clone_files(source: Path, target: Path) -> int:
    """Copy what a clone of the repository would hold: tracked files, and new files that
    are not ignored (so the check covers work not yet committed). Returns the count.
    """
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=source,
        check=True,
        capture_output=True,
    ).stdout.decode()
    count = 0
    for name in filter(None, listing.split("\0")):
        path = source / name
        if path.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
            count += 1
    return count


def run(command: list[str], *, cwd: Path, env: dict[str, str], what: str) -> str:
    """Run ``command``; skip when it failed for want of a network (unless CI), else fail."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        sign = next((s for s in OFFLINE_SIGNS if s in output), None)
        if sign is not None and os.environ.get("CI", "").lower() != "true":
            pytest.skip(f"{what} needs PyPI and the npm registry, and there is no network here ({sign!r})")
        tail = "\n".join(output.splitlines()[-40:])
        pytest.fail(f"{what} failed (exit {result.returncode}):\n{tail}")
    return output


def new_venv(venv: Path, home: Path, *, path: str | None = None) -> dict[str, str]:
    """Make a virtual environment with nothing installed, and the environment variables of
    a shell that has it active: ``HOME`` in ``home``, the venv's ``bin`` first on ``PATH``
    (followed by ``path``, by default this machine's ``PATH``), nothing of this Python's
    own setup (no Jupyter or Python paths, no user site-packages).
    """
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    home.mkdir(parents=True, exist_ok=True)
    bin_dir = venv / "bin"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "CONDA", "PIP_REQUIRE"))
    }
    rest = os.environ.get("PATH", "") if path is None else path
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join(filter(None, [str(bin_dir), rest])),
        VIRTUAL_ENV=str(venv),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONNOUSERSITE="1",
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
        NPM_CONFIG_CACHE=os.environ.get("NPM_CONFIG_CACHE", str(Path.home() / ".npm")),
    )
    return env
