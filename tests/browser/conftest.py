"""Fixtures for the browser tests: one JupyterLab per session, Chromium, open notebooks.

Without Chromium or Playwright the browser tests are skipped, except under ``CI=true``,
where they fail: CI must not go green without having run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterServer,
    NotebookPage,
    browser_missing,
    collaboration_missing,
    write_notebook,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

SETUP = """\
import json
from vsm_widget import ValueStreamMap
from vsm_widget.data.templates import load_template
"""


def _require_browser(also: str | None = None) -> None:
    reason = browser_missing() or also
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/ (git-ignored): screenshots and server logs of failed runs."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _serve(
    app: str,
    factory: pytest.TempPathFactory,
    artifacts: Path,
    collaboration: bool = False,
    tests_python: bool = False,
    name: str | None = None,
) -> Iterator[JupyterServer]:
    _require_browser(collaboration_missing() if collaboration else None)
    name = name or (f"{app}-collaboration" if collaboration else app)
    server = JupyterServer(
        factory.mktemp(f"jupyter-{name}"), app=app, collaboration=collaboration, tests_python=tests_python
    ).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.copy(server.log_path, artifacts / f"server-{name}.log")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[JupyterServer]:
    """A JupyterLab server for the whole session (without real-time collaboration)."""
    yield from _serve("lab", tmp_path_factory, artifacts)


@pytest.fixture(scope="session")
def notebook_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[JupyterServer]:
    """A Notebook 7 server (started only by the tests that need it)."""
    yield from _serve("notebook", tmp_path_factory, artifacts)


@pytest.fixture(scope="session")
def lab_collaboration_server(
    tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[JupyterServer]:
    """A JupyterLab server with real-time collaboration (jupyter-collaboration), started only
    by the tests that need it."""
    yield from _serve("lab", tmp_path_factory, artifacts, collaboration=True)


@pytest.fixture(scope="session")
def lab_proxy_server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[JupyterServer]:
    """A JupyterLab server run by the tests' own Python, with the server extensions installed
    for the tests (jupyter-server-proxy), collaboration off; started only by the tests
    that need it."""
    yield from _serve("lab", tmp_path_factory, artifacts, tests_python=True, name="lab-proxy")


def open_notebook(chromium: Any, server: JupyterServer, name: str, artifacts: Path) -> Iterator[NotebookPage]:
    """Write ``name`` with the setup cell, open it, run it; close the page afterwards."""
    write_notebook(server.root / name, SETUP)
    context = chromium.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = NotebookPage(page, server)
    try:
        notebook.open(name)
        notebook.run_all()
        yield notebook
    except BaseException:
        page.screenshot(path=str(artifacts / f"failed-{Path(name).stem}.png"))
        raise
    finally:
        context.close()


@pytest.fixture(scope="module")
def lab(chromium: Any, lab_server: JupyterServer, artifacts: Path) -> Iterator[NotebookPage]:
    """A notebook open in JupyterLab with the package imported; tests add their own cells."""
    yield from open_notebook(chromium, lab_server, "canvas.ipynb", artifacts)


@pytest.fixture(autouse=True)
def _no_page_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a browser test whose page threw an uncaught error or opened a dialog."""
    yield
    for name in ("lab", "nb7"):
        if name in request.fixturenames:
            notebook: NotebookPage = request.getfixturevalue(name)
            errors, notebook.errors[:] = list(notebook.errors), []
            assert errors == [], f"uncaught errors in the page: {errors}"
            assert notebook.dialogs == [], f"the page opened dialogs: {notebook.dialogs}"
