"""Text measurement for the map: widths from the font the canvas draws with.

The canvas and every picture draw labels in Inter, which ships with the package
(``fonts/``, SIL Open Font License). Python lays the map out, so it must know how wide
each label will be: the advance widths come from the same font files
(``fonts/metrics.json``, written by ``tools/font_metrics.py``). The canvas turns off
kerning and ligatures, so a label's width is exactly the sum of its characters' advances.

Characters outside the shipped subset (CJK, symbols) are drawn by a fallback font; they
are counted as one em when wide, else as an average Latin letter.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = ["ELLIPSIS", "FONT_FAMILY", "TEXT_STYLES", "Font", "text_style", "text_width", "truncate", "wrap"]

FONTS = Path(__file__).parent / "fonts"
#: The font stack of every drawn label; Inter first (shipped), then look-alikes.
FONT_FAMILY = "'VSM Inter', Inter, 'Helvetica Neue', Arial, sans-serif"
ELLIPSIS = "…"


class Font(NamedTuple):
    """How a class of text is drawn: size in px, weight (400 or 600), letter spacing in em."""

    size: float
    weight: int = 400
    spacing: float = 0.0


#: Font size (px) and weight of each class of text on a map. The scene measures with these
#: and the canvas and the SVG draw with these (see palette), so they always agree. Of a
#: text's classes, the one latest in this table wins, as in the canvas's stylesheet.
TEXT_STYLES: dict[str, Font] = {
    "vsm-title": Font(17.0, 600),
    "vsm-state-tag": Font(10.5, 600, 0.08),
    "vsm-scope": Font(11.0),
    "vsm-warning": Font(11.0),
    "vsm-name": Font(12.5, 600),
    "vsm-label": Font(11.0),
    "vsm-value": Font(11.5),
    "vsm-strong": Font(11.5, 600),
    "vsm-small": Font(10.5),
    "vsm-tag": Font(10.0),
    "vsm-pill-text": Font(10.0),
    "vsm-badge-text": Font(10.5, 600),
    "vsm-strip-text": Font(8.5, 600, 0.09),
    "vsm-burst-text": Font(10.0, 600),
    "vsm-burst-status": Font(8.5, 600, 0.08),
    "vsm-fifo-text": Font(10.0, 600, 0.05),
    "vsm-lane-label": Font(10.5, 600, 0.04),
    "vsm-rung-text": Font(11.5, 600),
    "vsm-total": Font(11.5, 600),
}


def _load() -> tuple[float, dict[int, dict[int, float]]]:
    data = json.loads((FONTS / "metrics.json").read_text(encoding="utf-8"))
    em = float(data["units_per_em"])
    weights = {
        int(weight): {int(code): advance / em for code, advance in table.items()}
        for weight, table in data["weights"].items()
    }
    return em, weights


_TEXT_ORDER = {name: index for index, name in enumerate(TEXT_STYLES)}
DEFAULT_TEXT = Font(11.5)


def text_style(classes: list[str] | tuple[str, ...]) -> Font:
    """How a text with these classes is drawn."""
    best = -1
    found = DEFAULT_TEXT
    for name in classes:
        index = _TEXT_ORDER.get(name, -1)
        if index > best:
            best, found = index, TEXT_STYLES[name]
    return found


_EM, _WIDTHS = _load()
_AVERAGE = {w: sum(t.values()) / len(t) for w, t in _WIDTHS.items()}


def _weight(weight: int) -> int:
    return 600 if weight >= 550 else 400


def _char_width(ch: str, table: dict[int, float], average: float) -> float:
    width = table.get(ord(ch))
    if width is not None:
        return width
    if unicodedata.combining(ch):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else average


@lru_cache(maxsize=65536)
def _em_width(text: str, weight: int) -> float:
    table = _WIDTHS[weight]
    average = _AVERAGE[weight]
    return sum(_char_width(ch, table, average) for ch in text)


def text_width(text: str, size: float, weight: int = 400, spacing: float = 0.0) -> float:
    """Width of ``text`` in canvas units at font ``size`` (px), ``weight`` (400 or 600) and
    ``spacing`` (letter spacing in em, added after every character, as browsers do).
    """
    return (_em_width(text, _weight(weight)) + spacing * len(text)) * size


def truncate(text: str, width: float, size: float, weight: int = 400, spacing: float = 0.0) -> str:
    """``text`` cut to fit ``width``, ending in an ellipsis when it was cut."""
    if text_width(text, size, weight, spacing) <= width:
        return text
    # Binary search on the number of characters kept (widths only grow with length).
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle].rstrip() + ELLIPSIS, size, weight, spacing) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def wrap(
    text: str, width: float, size: float, max_lines: int, weight: int = 400, spacing: float = 0.0
) -> tuple[list[str], bool]:
    """Word-wrap ``text`` to at most ``max_lines`` lines of ``width``.

    Returns the lines and whether anything was cut (the last line then ends in an
    ellipsis). A word longer than a line is cut, so nothing overflows its shape.
    """
    words = text.split()
    lines: list[str] = []
    line = ""
    index = 0
    while index < len(words):
        word = words[index]
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size, weight, spacing) <= width:
            line = candidate
            index += 1
            continue
        if line:
            lines.append(line)
            line = ""
            if len(lines) == max_lines:
                break
            continue
        # One word wider than the line: cut it.
        lines.append(truncate(word, width, size, weight, spacing))
        index += 1
        if len(lines) == max_lines:
            break
    if line and len(lines) < max_lines:
        lines.append(line)
        line = ""
    cut = index < len(words) or bool(line)
    if cut and lines and not lines[-1].endswith(ELLIPSIS):
        lines[-1] = truncate(lines[-1] + ELLIPSIS, width, size, weight, spacing)
    return lines or [""], cut
