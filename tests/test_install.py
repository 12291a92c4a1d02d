"""The two ways in for a newcomer, each on a fresh machine as far as a test can make one.

- The wheel: ``python -m build`` in a copy of what a clone holds gives a wheel that
  installs in a new virtual environment on a machine without Node (``PATH`` holds only the
  venv), imports, and displays a map as its canvas (the real front end, not the
  "front end is not built" placeholder) followed by its static picture.
- The README's first command, read from README.md: its install part runs in a new venv
  from a copy of the repository, then the ``jupyter lab`` it names starts (without a
  browser, on 127.0.0.1, a free port and a token) and serves the quickstart, with the
  widget extensions the canvas needs.

Both need PyPI (and the npm registry, to build the front end): without a network they
are skipped, with the reason, except under ``CI=true``, where every failure fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest

from browser.harness import free_port, stop_group, wait_until_serving
from fresh import ROOT, clone_files, new_venv, run

pytestmark = [pytest.mark.fresh_venv, pytest.mark.timeout(900)]

# Run in the venv of the wheel: show a map, its editor and its dashboard as a notebook
# would (IPython's display), and report what came out, as JSON.
DISPLAY = """
import json, pathlib
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display
from IPython.utils.capture import capture_output
import vsm_widget
from vsm_widget import ValueStreamMap

InteractiveShell.instance()
m = ValueStreamMap.template("stamping_plant")
with capture_output() as captured:
    display(m)
    display(m.dashboard())
esm = m.editor().get_state()["_esm"]
print(json.dumps({
    "package": vsm_widget.__file__,
    "outputs": [output.data for output in captured.outputs],
    "esm": esm,
    "bundle": (pathlib.Path(vsm_widget.__file__).parent / "static" / "widget.js").read_text(),
}))
"""


def _readme_first_command() -> str:
    """The first line of the README's first ``bash`` block."""
    match = re.search(r"^```bash\n(.+)$", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert match is not None, "README.md has no ```bash block"
    return match.group(1).strip()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError):
        return 0, ""


def test_the_wheel_installs_and_shows_a_map_without_node(tmp_path: Path) -> None:
    repo, dist = tmp_path / "repo", tmp_path / "dist"
    assert clone_files(ROOT, repo) > 0
    assert not (repo / "src/vsm_widget/static/widget.js").exists()
    # Build: an sdist, then the wheel from it (the front end is bundled with npm on the way).
    build_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_REQUIRE"))}
    build = [sys.executable, "-m", "build", "--outdir", str(dist), str(repo)]
    run(build, cwd=tmp_path, env=build_env, what="python -m build")
    wheels = sorted(dist.glob("*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in dist.iterdir())
    assert len(list(dist.glob("*.tar.gz"))) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
    built = ("static/widget.js", "static/cards.js", "static/room.js", "static/widget.css")
    for name in (*built, "data/schema/vsm-map.schema.json"):
        assert f"vsm_widget/{name}" in names, name
    assert "vsm_widget/data/templates/stamping_plant.json" in names

    # Install where there is no Node: PATH holds the venv and nothing else.
    venv = tmp_path / "venv"
    env = new_venv(venv, tmp_path / "home", path="")
    assert shutil.which("node", path=env["PATH"]) is None
    assert shutil.which("npm", path=env["PATH"]) is None
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", str(wheels[0])], cwd=tmp_path, env=env, what="pip install the wheel")
    shown = json.loads(
        run([python, "-c", DISPLAY], cwd=tmp_path, env=env, what="display a map").strip().splitlines()[-1]
    )

    assert Path(shown["package"]).is_relative_to(venv), shown["package"]
    # The map: its canvas, then its static picture; the same for the dashboard.
    outputs = shown["outputs"]
    assert len(outputs) == 4
    for view, picture in (outputs[0:2], outputs[2:4]):
        assert "application/vnd.jupyter.widget-view+json" in view
        assert set(picture) == {"text/html"}
        assert 'class="vsm-fallback"' in picture["text/html"]
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in picture["text/html"]
        assert "Lead time <strong>23.6 working days</strong>" in picture["text/html"]
    assert outputs[0]["text/plain"].startswith("<ValueStreamMap ")
    # The canvas runs the bundled front end, not the placeholder of an unbuilt checkout.
    assert shown["esm"] == shown["bundle"]
    assert len(shown["esm"]) > 20_000
    assert "front end is not built" not in shown["esm"]
    assert "vsm-canvas" in shown["esm"]


def test_the_readmes_first_command_opens_the_quickstart_in_jupyterlab(tmp_path: Path) -> None:
    command = _readme_first_command()
    install, _, start = command.partition(" && ")
    assert install.startswith("pip install "), command
    assert shlex.split(start)[:2] == ["jupyter", "lab"], command
    notebook = shlex.split(start)[2]
    repo = tmp_path / "repo"
    assert clone_files(ROOT, repo) > 0
    assert (repo / notebook).is_file(), notebook

    venv = tmp_path / "venv"
    env = new_venv(venv, tmp_path / "home")
    run(["bash", "-c", install], cwd=repo, env=env, what=install)
    # The jupyter it names is the one the install put in the venv.
    assert shutil.which("jupyter", path=env["PATH"]) == str(venv / "bin" / "jupyter")

    port, token = free_port(), secrets.token_hex(16)
    server = [*shlex.split(start), "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    server.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        server.append("--allow-root")
    runtime, log = tmp_path / "runtime", tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            server,
            cwd=repo,
            env={**env, "JUPYTER_RUNTIME_DIR": str(runtime)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, token, log, timeout=120)
        # Without a browser, the server writes the page a browser would have opened: the
        # notebook the command names.
        opener = next(runtime.glob("jpserver-file-to-run-*-open.html"))
        found = re.search(r'href="([^"]+)"', opener.read_text())
        assert found is not None, opener.read_text()
        url = html.unescape(found.group(1))
        path = urllib.parse.urlsplit(url).path
        assert path.endswith(f"/lab/tree/{Path(notebook).name}"), url
        status, page = _get(url)
        assert status == 200
        # JupyterLab, with the widget extensions the canvas and the dashboard need.
        config = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
        assert config is not None, page[:500]
        extensions = {e["name"] for e in json.loads(config.group(1)).get("federated_extensions", [])}
        assert {"anywidget", "@jupyter-widgets/jupyterlab-manager", "bqplot"} <= extensions, extensions
        # The notebook that page opens is the quickstart, and a Python kernel can run it.
        opened = path.split("/lab/tree/", 1)[1]
        status, body = _get(f"{base}/api/contents/{opened}?token={token}")
        assert status == 200
        content = json.loads(body)
        assert content["type"] == "notebook"
        cells = [cell.source for cell in nbformat.read(repo / notebook, as_version=4).cells]
        assert [cell["source"] for cell in content["content"]["cells"]] == cells
        status, body = _get(f"{base}/api/kernelspecs?token={token}")
        assert status == 200
        assert content["content"]["metadata"]["kernelspec"]["name"] in json.loads(body)["kernelspecs"]
    finally:
        stop_group(process)
