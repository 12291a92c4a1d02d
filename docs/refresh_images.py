"""Refresh the pictures in docs/images/ from a real JupyterLab in Chromium.

The browser tests that take these pictures leave them in tests/artifacts/ (git-ignored),
so running the test suite never changes a tracked file. This script runs those tests and
copies their pictures into docs/images/; look at them (``git diff --stat docs``) before
committing them.

Run from anywhere, with the test extra installed and Chromium present:
``python docs/refresh_images.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
ARTIFACTS = ROOT / "tests" / "artifacts"

_BROWSER = "tests/browser/"
_CANVAS = _BROWSER + "test_canvas.py::test_screenshots_in_light_and_dark_themes"
_DASHBOARD = _BROWSER + "test_dashboard_live.py::test_canvas_edit_moves_cards_and_bars_and_bars_select_steps"
_EXAMPLE = _BROWSER + "test_example_notebooks.py::test_example_notebook_runs_in_jupyterlab[{}]"

#: Each picture of docs/images/ and the browser test that takes it.
PICTURES: dict[str, str] = {
    "canvas-light.png": _CANVAS,
    "canvas-dark.png": _CANVAS,
    "dashboard-light.png": _DASHBOARD,
    "dashboard-dark.png": _DASHBOARD,
    "export-svg.png": _BROWSER + "test_canvas_files.py::test_svg_export_holds_the_whole_map_with_its_colours",
    **{
        f"example-{name}.png": _EXAMPLE.format(name)
        # Every example notebook: the browser test runs each one and keeps its map.
        for name in sorted(path.stem for path in (ROOT / "examples").glob("*.ipynb"))
    },
}


def main() -> int:
    """Run the picture-taking tests, then copy their pictures; 0 when every picture was refreshed."""
    for name in PICTURES:
        # A picture left by an earlier run must not pass for a new one.
        (ARTIFACTS / name).unlink(missing_ok=True)
    tests = list(dict.fromkeys(PICTURES.values()))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=ROOT)
    if run.returncode != 0:
        print(f"the browser tests failed (exit {run.returncode}); docs/images/ is unchanged", file=sys.stderr)
        return run.returncode
    missing = [name for name in PICTURES if not (ARTIFACTS / name).is_file()]
    if missing:
        print(
            f"no new {', '.join(missing)} in tests/artifacts/ (were the browser tests skipped? "
            "they need Chromium); docs/images/ is unchanged",
            file=sys.stderr,
        )
        return 1
    for name in PICTURES:
        shutil.copy(ARTIFACTS / name, IMAGES / name)
        print(f"docs/images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
