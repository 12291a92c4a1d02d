"""The Binder environment builds and runs the examples, as far as this machine can tell.

Binder (repo2docker) installs ``binder/requirements.txt`` on the Python of
``binder/runtime.txt``, then runs ``binder/postBuild`` in a fresh clone. This test does
the same in a fresh virtual environment: a copy of the files a clone would hold (no
``node_modules``, no built front end), ``HOME`` in a temporary folder, the requirements,
then the postBuild script itself. It then checks that the venv's Python imports the
installed package with its front end, that JupyterLab would open the quickstart and has
the widget extensions, and that the venv's Jupyter runs every example notebook.

It needs PyPI and the npm registry. Without a network it is skipped, with the reason,
except under ``CI=true``, where every failure fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from fresh import ROOT, clone_files, new_venv, run

BINDER = ROOT / "binder"


@pytest.mark.binder
@pytest.mark.timeout(1200)
def test_binder_environment_installs_the_package_and_runs_every_example(tmp_path: Path) -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    # The package supports Python 3.10 and later.
    assert re.fullmatch(r"python-3\.(1\d)", runtime), runtime
    repo, home, venv = tmp_path / "repo", tmp_path / "home", tmp_path / "venv"
    assert clone_files(ROOT, repo) > 0
    # A clone has neither of these; the install must build the front end itself.
    assert not (repo / "node_modules").exists()
    assert not (repo / "src/vsm_widget/static/widget.js").exists()

    env = new_venv(venv, home)
    bin_dir = venv / "bin"

    run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-r", str(repo / "binder/requirements.txt")],
        cwd=repo,
        env=env,
        what="pip install -r binder/requirements.txt",
    )
    run(["bash", str(repo / "binder/postBuild")], cwd=repo, env=env, what="binder/postBuild")

    # The package is installed into the venv (not the working tree), with its front end.
    found = run(
        [
            str(bin_dir / "python"),
            "-c",
            "import pathlib, vsm_widget; p = pathlib.Path(vsm_widget.__file__).parent; "
            "print(p); print((p / 'static' / 'widget.js').stat().st_size)",
        ],
        cwd=tmp_path,
        env=env,
        what="import vsm_widget",
    ).split()
    assert Path(found[0]).is_relative_to(venv), found
    assert int(found[1]) > 1000
    assert not (repo / "node_modules").exists(), "postBuild leaves node_modules behind"

    # JupyterLab opens on the quickstart, and has the widget extensions the maps need.
    config = (home / ".jupyter" / "jupyter_server_config.py").read_text()
    assert "c.ServerApp.default_url = '/lab/tree/examples/quickstart.ipynb'" in config
    assert (repo / "examples" / "quickstart.ipynb").is_file()
    extensions = run(
        [str(bin_dir / "jupyter"), "labextension", "list"],
        cwd=repo,
        env=env,
        what="jupyter labextension list",
    )
    for name in ("@jupyter-widgets/jupyterlab-manager", "anywidget", "bqplot"):
        assert name in extensions, extensions
    specs = json.loads(
        run(
            [str(bin_dir / "jupyter"), "kernelspec", "list", "--json"],
            cwd=repo,
            env=env,
            what="jupyter kernelspec list",
        )
    )["kernelspecs"]
    assert Path(specs["python3"]["resource_dir"]).is_relative_to(venv), specs

    # The venv's Jupyter runs every example notebook, top to bottom.
    notebooks = sorted((repo / "examples").glob("*.ipynb"))
    assert len(notebooks) >= 4
    executed = tmp_path / "executed"
    for notebook in notebooks:
        run(
            [
                str(bin_dir / "jupyter"),
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=120",
                "--output-dir",
                str(executed),
                str(notebook),
            ],
            cwd=notebook.parent,
            env=env,
            what=f"jupyter nbconvert --execute {notebook.name}",
        )
        result = nbformat.read(executed / notebook.name, as_version=4)
        assert all(cell.execution_count for cell in result.cells if cell.cell_type == "code")
    quickstart = nbformat.read(executed / "quickstart.ipynb", as_version=4)
    first = next(cell for cell in quickstart.cells if cell.cell_type == "code")
    # Learning to See: takt 60 s, lead time 23.6 days.
    assert any("takt 60 s, lead time 23.6 d" in output.get("text", "") for output in first.outputs)
