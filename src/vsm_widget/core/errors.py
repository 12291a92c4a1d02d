"""The error every refused value raises: :class:`ValidationError`.

It lives below the model (which re-exports it as :class:`vsm_widget.core.model.ValidationError`)
so that the modules the model builds on, such as :mod:`vsm_widget.core.distributions`, raise
it without importing the model. Pure Python beside :mod:`vsm_widget.core.units`.
"""

from __future__ import annotations

import math
from typing import Any

from . import units

__all__ = ["ValidationError"]

# An error names its field and reason in at most these many characters.
_MAX_ERROR_FIELD = 200
_MAX_ERROR_REASON = 1000


class ValidationError(ValueError):
    """An edit or a document that the map refuses.

    ``field`` names the field (``"cycle_time"``, ``"customer.demand"``, or a JSON path
    for documents), ``value`` is what was given and ``reason`` what is allowed. The map
    is unchanged when this is raised.

    The field, target and reason are always short and can always be sent and saved:
    a character no file can hold is escaped, and a text pasted by mistake is cut, so
    the error itself never fails to reach the canvas.
    """

    def __init__(self, field: str, value: object, reason: str, target: str | None = None):
        self.field = units._printable(field, _MAX_ERROR_FIELD)
        self.value = value
        self.reason = units._printable(reason, _MAX_ERROR_REASON)
        self.target = None if target is None else units._printable(target, _MAX_ERROR_FIELD)
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.target}: " if self.target else ""
        shown = units._show(self.value)
        # Name the value unless the reason already quotes it.
        got = "" if shown in self.reason else f" (got {shown})"
        return f"{where}{self.field}: {self.reason}{got}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the four parts, so the error survives pickling (worker processes).
        return (type(self), (self.field, self.value, self.reason, self.target))

    def at(self, target: str) -> ValidationError:
        """The same error, placed on ``target`` if it had no target yet."""
        if self.target is None:
            self.target = units._printable(target, _MAX_ERROR_FIELD)
            self.args = (self._message(),)
        return self

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data, for a front end or a log."""
        return {
            "field": self.field,
            "target": self.target,
            "value": _plain(self.value),
            "reason": self.reason,
            "message": str(self),
        }


def _plain(value: object) -> object:
    """``value`` as JSON-ready data: small plain values as they are, others shown short."""
    if value is None or isinstance(value, bool) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and len(value) <= _MAX_ERROR_FIELD and not units._unwritable(value):
        return value
    return units._show(value, _MAX_ERROR_FIELD)
