"""Drive a real JupyterLab (or Notebook 7) in Chromium: the server, the page, the kernel.

Used by the browser tests' fixtures (conftest.py) and by ``benchmarks/canvas.py``.
Everything waits on a condition (the server answers, the kernel is idle, an element is
in the page, Python reports a value), never on a fixed delay.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat

CHROMIUM = Path(os.environ.get("VSM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# Lab settings for a test run: no autosave (the notebook on disk stays as written), no
# news or update toasts over the canvas, every cell in the DOM (no windowing).
LAB_SETTINGS = {
    "docmanager-extension/plugin": {"autosave": False},
    "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "notebook-extension/tracker": {"windowingMode": "none"},
}

# What jupyter-collaboration adds to a server (its server extensions; jupyter_collaboration
# before 3.0) and to JupyterLab (its extensions, which also replace the file browser and
# the cell executor). A server without collaboration turns all of them off, so that every
# other browser test sees the same JupyterLab whether the package is installed or not.
COLLABORATION_SERVER_EXTENSIONS = ("jupyter_server_ydoc", "jupyter_server_fileid", "jupyter_collaboration")
COLLABORATION_LAB_EXTENSIONS = ("@jupyter/collaboration-extension", "@jupyter/docprovider-extension")


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or ``None`` when it can."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed (pip install -e '.[test]')"
    return None


def collaboration_missing() -> str | None:
    """Why a JupyterLab with real-time collaboration cannot run here, or ``None`` when it can."""
    try:
        import jupyter_server_ydoc  # noqa: F401
    except ImportError:
        return "jupyter-collaboration is not installed (pip install -e '.[test]')"
    return None


def prefix_paths(*parts: str) -> list[str]:
    """The folder ``parts`` (``share/jupyter``, ``etc/jupyter``) of every prefix this Python
    imports packages from.

    A virtualenv made with ``--system-site-packages`` imports its base's packages, but a
    Jupyter server it runs looks for their lab extensions (the widget manager's,
    anywidget's) and their server extensions' config under the virtualenv's prefix only.
    """
    prefixes = dict.fromkeys([sys.prefix, sys.base_prefix])
    return [
        str(Path(prefix, *parts))
        for prefix in prefixes
        if sysconfig.get_path("purelib", vars={"base": prefix, "platbase": prefix}) in sys.path
    ]


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_notebook(path: Path, *cells: str) -> Path:
    """Write a notebook of code cells with kernelspec metadata (so no kernel dialog opens)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


def _tail(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def wait_until_serving(
    process: subprocess.Popen[bytes], base: str, token: str, log_path: Path, timeout: float = 60
) -> None:
    """Wait until the Jupyter server ``process`` answers at ``base``; raise, with the end of
    its log, if it exits first or does not answer within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        try:
            # Waits on the process: returns at once if the server died.
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
        else:
            raise RuntimeError(f"{process.args[:3]} exited ({process.returncode}):\n{_tail(log_path)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.args[:3]} did not answer within {timeout} s:\n{_tail(log_path)}")


def _search_path(first: list[str], variable: str) -> str:
    """The folders ``first``, then those of the environment's ``variable``."""
    return os.pathsep.join(filter(None, [*first, os.environ.get(variable)]))


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in a session of its own, with everything it started (kernels)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


class JupyterServer:
    """A JupyterLab or Notebook 7 server on 127.0.0.1, in its own process group.

    Its root, settings, workspaces and runtime folders live under ``workdir``. Real-time
    collaboration (jupyter-collaboration) is off unless ``collaboration`` is true (lab
    only): then the notebooks open in several pages share one live document.
    """

    def __init__(
        self, workdir: Path, app: str = "lab", collaboration: bool = False, tests_python: bool = False
    ) -> None:
        if app not in ("lab", "notebook"):
            raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")
        if collaboration and app != "lab":
            raise ValueError("real-time collaboration is a JupyterLab server's only")
        self.app = app
        self.collaboration = collaboration
        #: Run by the tests' own Python, so that the server imports the server extensions
        #: installed for the tests (jupyter-collaboration, jupyter-server-proxy).
        self.tests_python = tests_python or collaboration
        self.workdir = workdir
        self.root = workdir / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> JupyterServer:
        """Start the server and wait until its API answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        settings = self.workdir / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        # The notebooks' kernel (python3) is the interpreter of the tests, so it imports the
        # package under test, also where the server's Python sees another install of it.
        data = self.workdir / "data"
        kernel = data / "kernels" / KERNELSPEC["name"]
        kernel.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (kernel / "kernel.json").write_text(json.dumps({**KERNELSPEC, "argv": argv}))
        app_class = "LabApp" if self.app == "lab" else "JupyterNotebookApp"
        if self.tests_python:
            command = [sys.executable, "-m", "jupyterlab"]
            data_path = [str(data), *prefix_paths("share", "jupyter")]
            config_path = prefix_paths("etc", "jupyter")
            if self.collaboration:
                command += self._collaboration_options()
            else:
                config_path.insert(0, str(self._without_collaboration()))
        else:
            jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
            command = [jupyter, self.app]
            data_path = [str(data)]
            config_path = [str(self._without_collaboration())]
        command += [
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--{app_class}.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        env = dict(
            os.environ,
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workdir / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            JUPYTER_PATH=_search_path(data_path, "JUPYTER_PATH"),
            JUPYTER_CONFIG_PATH=_search_path(config_path, "JUPYTER_CONFIG_PATH"),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            wait_until_serving(self.process, self.base, self.token, self.log_path, timeout)
        except TimeoutError:
            self.stop()
            raise
        return self

    def _without_collaboration(self) -> Path:
        """A config folder (first in the server's config path) that turns off every part
        of jupyter-collaboration, installed or not."""
        config = self.workdir / "config"
        (config / "labconfig").mkdir(parents=True, exist_ok=True)
        server = {"ServerApp": {"jpserver_extensions": dict.fromkeys(COLLABORATION_SERVER_EXTENSIONS, False)}}
        (config / "jupyter_server_config.json").write_text(json.dumps(server))
        # An extension that is itself disabled does not disable the ones it replaces.
        page = {"disabledExtensions": dict.fromkeys(COLLABORATION_LAB_EXTENSIONS, True)}
        (config / "labconfig" / "page_config.json").write_text(json.dumps(page))
        return config

    def _collaboration_options(self) -> list[str]:
        """Real-time collaboration's files under ``workdir`` (not in the current folder or the
        user's data folder), and documents never saved by the server: the notebook on disk
        stays as written, as with autosave off."""
        return [
            f"--SQLiteYStore.db_path={self.workdir / 'ystore.db'}",
            f"--BaseFileIdManager.db_path={self.workdir / 'file_id.db'}",
            f"--YDocExtension.session_store_path={self.workdir / 'collaboration_sessions.json'}",
            "--YDocExtension.document_save_delay=None",
        ]

    def log(self) -> str:
        """The end of the server's log."""
        return _tail(self.log_path)

    def url(self, notebook: str) -> str:
        """The address that opens ``notebook`` (a path under the root) in this app."""
        if self.app == "lab":
            # reset: start from an empty workspace, not with the notebooks an earlier page left
            # open (one of them could become the current tab instead of ``notebook``).
            return f"{self.base}/lab/tree/{notebook}?token={self.token}&reset"
        return f"{self.base}/notebooks/{notebook}?token={self.token}"

    def stop(self) -> None:
        """Stop the server's whole process group (the server and its kernels)."""
        if self.process is not None:
            stop_group(self.process)
        self.process = None


# --------------------------------------------------------------------------- in the page

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

# Run code in the notebook's kernel (not in a cell) and collect what it prints.
EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, silent: false, store_history: false });
  let out = '';
  let error = null;
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === 'stream') out += msg.content.text;
    if (type === 'error') error = msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  if (error !== null) throw new Error(error);
  return out;
}"""

# Append a code cell at the end, mark its DOM node, run it.
ADD_CELL = """async ([code, name]) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  notebook.activeCellIndex = notebook.widgets.length - 1;
  await app.commands.execute('notebook:insert-cell-below');
  const cell = notebook.activeCell;
  cell.node.dataset.testCell = name;
  cell.model.sharedModel.setSource(code);
  await app.commands.execute('notebook:run-cell');
}"""


class NotebookPage:
    """A notebook open in the browser, with helpers to run code and read Python state."""

    def __init__(self, page: Any, server: JupyterServer) -> None:
        self.page = page
        self.server = server
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        # Errors thrown while the app itself starts, before any widget exists (Notebook 7.6
        # throws one from its own bundle); kept apart so that tests judge only the canvas.
        self.startup_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, notebook: str) -> NotebookPage:
        """Open ``notebook`` and wait until its kernel is idle."""
        self.page.goto(self.server.url(notebook))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell")
        # The file browser would take width from the canvas.
        self.page.evaluate(
            "() => window.jupyterapp.shell.collapseLeft && window.jupyterapp.shell.collapseLeft()"
        )
        self.page.wait_for_function(KERNEL_IDLE, polling=100)
        self.startup_errors, self.errors[:] = list(self.errors), []
        return self

    def run_all(self) -> None:
        """Run every cell and wait until they are done."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(KERNEL_IDLE, polling=100)

    def add_cell(self, name: str, code: str) -> Any:
        """Append a cell, run it, and return a locator for its output area."""
        self.page.evaluate(ADD_CELL, [code, name])
        return self.page.locator(f'[data-test-cell="{name}"] .jp-OutputArea')

    def canvas(self, name: str, code: str) -> Any:
        """Run ``code`` (ending with a widget) in a new cell; return its drawn canvas."""
        output = self.add_cell(name, code)
        canvas = output.locator(".vsm-canvas").first
        canvas.wait_for(state="visible")
        # Pointer actions go to screen coordinates: bring the whole canvas into view.
        canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
        return canvas

    def py(self, code: str) -> str:
        """Run ``code`` in the notebook's kernel and return what it printed."""
        return str(self.page.evaluate(EXECUTE, code))

    def value(self, expression: str) -> Any:
        """The value of a Python expression in the kernel, through JSON."""
        return json.loads(self.py(f"import json as _json\nprint(_json.dumps({expression}))"))

    def wait_value(self, expression: str, predicate: Callable[[Any], bool], timeout: float = 15) -> Any:
        """Evaluate ``expression`` in the kernel until ``predicate`` holds; return the value.

        Each try is a full round trip to the kernel, which also paces the loop.
        """
        deadline = time.monotonic() + timeout
        value = self.value(expression)
        while not predicate(value):
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression} is still {value!r} after {timeout} s")
            value = self.value(expression)
        return value

    def save(self) -> None:
        """Save the notebook (with its outputs) and wait until it is written."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return !!w && !!w.context && !w.context.model.dirty; }"
        )

    def kernel_id(self) -> str:
        """The id of the kernel this notebook's page is connected to."""
        return str(
            self.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")
        )

    def set_theme(self, theme: str) -> None:
        """Switch the JupyterLab theme and wait until it is applied."""
        self.page.evaluate(
            "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })", theme
        )
        self.page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=theme)
        # JupyterLab shows its splash screen while a theme loads and takes it out 200 ms
        # after; a second change inside that time makes it take the splash out twice (an
        # uncaught error of JupyterLab's own). Wait until it is gone.
        self.page.wait_for_function("() => !document.getElementById('jupyterlab-splash')")


def room_participants(
    chromium: Any,
    url: str,
    count: int,
    artifacts: Path,
    name: str,
    prepare: Callable[[Any, int], None] | None = None,
) -> Iterator[list[Any]]:
    """``count`` browser contexts (people, each with their own storage) with ``url`` open,
    each page then given to ``prepare(page, i)`` if given.

    For a module fixture to ``yield from``: the pages' uncaught errors fail it, a failure
    leaves a screenshot of each page still open (``failed-<name>-<i>.png``), and the
    contexts are closed afterwards.
    """
    contexts = [chromium.new_context(viewport={"width": 1280, "height": 800}) for _ in range(count)]
    pages = []
    errors: list[str] = []
    for context in contexts:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        pages.append(page)
    try:
        for i, page in enumerate(pages):
            if prepare is not None:
                prepare(page, i)
        yield pages
        assert errors == [], f"uncaught errors in a participant's page: {errors}"
    except BaseException:
        for i, page in enumerate(pages):
            if not page.is_closed():
                page.screenshot(path=str(artifacts / f"failed-{name}-{i}.png"))
        raise
    finally:
        for context in contexts:
            context.close()
