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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
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


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or ``None`` when it can."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed (pip install -e '.[test]')"
    return None


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


class JupyterServer:
    """A JupyterLab or Notebook 7 server on 127.0.0.1, in its own process group.

    Its root, settings, workspaces and runtime folders live under ``workdir``.
    """

    def __init__(self, workdir: Path, app: str = "lab") -> None:
        if app not in ("lab", "notebook"):
            raise ValueError(f"app must be 'lab' or 'notebook', not {app!r}")
        self.app = app
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
        # The kernel runs the Python that runs the tests (and so this checkout's package):
        # jupyter_client would start "python" kernels with the server's own interpreter,
        # which may be another environment with another copy of the package.
        kernel = self.workdir / "data" / "kernels" / KERNELSPEC["name"]
        kernel.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (kernel / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": KERNELSPEC["display_name"], "language": "python"})
        )
        app_class = "LabApp" if self.app == "lab" else "JupyterNotebookApp"
        jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
        command = [
            jupyter,
            self.app,
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
            JUPYTER_PATH=os.pathsep.join(
                p for p in (str(self.workdir / "data"), os.environ.get("JUPYTER_PATH")) if p
            ),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not self._answers():
            try:
                # Waits on the process: returns at once if the server died.
                self.process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
            else:
                raise RuntimeError(f"jupyter {self.app} exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"jupyter {self.app} did not answer within {timeout} s:\n{self.log()}")
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=1) as reply:
                return reply.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log(self) -> str:
        """The end of the server's log."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def url(self, notebook: str) -> str:
        """The address that opens ``notebook`` (a path under the root) in this app."""
        if self.app == "lab":
            # reset: start from an empty workspace, not with the notebooks an earlier page left
            # open (one of them could become the current tab instead of ``notebook``).
            return f"{self.base}/lab/tree/{notebook}?token={self.token}&reset"
        return f"{self.base}/notebooks/{notebook}?token={self.token}"

    def stop(self) -> None:
        """Stop the server's whole process group (the server and its kernels)."""
        process = self.process
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
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

    def set_theme(self, theme: str) -> None:
        """Switch the JupyterLab theme and wait until it is applied."""
        self.page.evaluate(
            "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', { theme })", theme
        )
        self.page.wait_for_function("(theme) => document.body.dataset.jpThemeName === theme", arg=theme)
