"""Run test code in a thread of its own, where no event loop is set or running.

Playwright's sync API (the browser tests, in the same session) leaves its event loop set
as running in the main thread between its calls: code that needs a loop of its own (a
room, ``asyncio.run``) must run elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def off_loop(fn: Callable[[], T]) -> T:
    """``fn()`` run in a thread of its own; its result, or its exception raised here."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    return result[0]
