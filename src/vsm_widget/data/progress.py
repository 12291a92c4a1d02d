"""Progress of a long reading (a large event log), shown in a notebook once it takes a while.

A log of a million events reads in a fraction of a second and shows nothing; one that
takes longer than :data:`SHOW_AFTER` seconds shows one line in the notebook that says
which phase it is in, updated in place. Outside a notebook nothing is shown. A callable
given as ``progress=`` is called instead with each phase and the seconds elapsed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SHOW_AFTER", "Progress"]

#: Seconds after which a notebook shows the phase a reading is in.
SHOW_AFTER = 1.0


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()  # type: ignore[attr-defined]
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class Progress:
    """Phases of one reading: ``step("sorting events")`` as each begins, ``done()`` at the end.

    ``report`` is ``None`` (a line in a notebook after :data:`SHOW_AFTER` seconds),
    ``False`` (nothing), or a callable taking the phase and the seconds elapsed.
    """

    def __init__(self, label: str, report: Callable[[str, float], Any] | bool | None = None) -> None:
        self.label = label
        self._started = time.perf_counter()
        self._callback = report if callable(report) else None
        self._notebook = report is None and _in_notebook()
        self._handle: Any = None

    def step(self, phase: str) -> None:
        """Say that ``phase`` begins."""
        elapsed = time.perf_counter() - self._started
        if self._callback is not None:
            self._callback(phase, elapsed)
        elif self._notebook and elapsed >= SHOW_AFTER:
            self._show(f"{self.label}: {phase} ({elapsed:.1f} s)")

    def done(self) -> None:
        """Say that the reading is over (the notebook line then gives the total time)."""
        elapsed = time.perf_counter() - self._started
        if self._callback is not None:
            self._callback("done", elapsed)
        elif self._handle is not None:
            self._show(f"{self.label}: done in {elapsed:.1f} s")

    def _show(self, text: str) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)
