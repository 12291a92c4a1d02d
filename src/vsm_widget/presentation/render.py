"""A static SVG picture of a map, drawn in Python with no browser.

The picture is the canvas's own drawing: :func:`render_svg` lays the map out as a scene
(:mod:`vsm_widget.presentation.scene`, the layout the canvas draws) and writes it as SVG
(:mod:`vsm_widget.presentation.svg`), so an element sits at the same place, with the same
text, on the canvas, in this picture, in the toolbar's export and in a notebook's static
fallback. Every drawn element carries the canvas's hooks (``data-vsm-kind``,
``data-vsm-id``); every user string is escaped.

This module is pure Python: no Jupyter, no widgets, no browser.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.metrics import compute
from ..core.model import Map, MapState
from ..data.files import write_text_atomic
from .scene import build_scene
from .svg import scene_svg

__all__ = ["render_svg", "save_svg"]


def render_svg(
    source: Map | MapState,
    *,
    palette: str = "light",
    embed_font: bool = False,
    scalable: bool = False,
) -> str:
    """The map as a standalone SVG document (text), drawn without a browser.

    ``palette`` is ``"light"``, ``"dark"`` or ``"print"``; ``embed_font`` carries the
    font inside the file; ``scalable`` lets the picture shrink to its container's width.
    """
    state = source.state if isinstance(source, Map) else source
    if not isinstance(state, MapState):
        raise TypeError(f"render_svg() needs a ValueStreamMap or MapState, not {type(source).__name__}")
    metrics = source.metrics() if isinstance(source, Map) else compute(state)
    return scene_svg(build_scene(state, metrics), palette=palette, embed_font=embed_font, scalable=scalable)


def save_svg(
    source: Map | MapState,
    path: str | os.PathLike[str],
    *,
    palette: str = "light",
    embed_font: bool = True,
) -> Path:
    """Write :func:`render_svg` to ``path`` atomically (a crash never leaves half a file).

    A saved file carries the font by default, so it looks the same on every machine.
    """
    text = render_svg(source, palette=palette, embed_font=embed_font)
    return write_text_atomic(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + text)
