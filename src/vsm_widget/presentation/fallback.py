"""The static picture of a map that a notebook keeps for readers without JavaScript.

A notebook exported to HTML (``jupyter nbconvert --to html``), or read on GitHub or
nbviewer, cannot run the canvas: a widget output there is empty, or needs a CDN. So an
editor or dashboard shown in a notebook is followed by a second output, this HTML: the
map's title, its headline figures (:mod:`vsm_widget.presentation.figures`, as on the dashboard's
cards) and the map itself as inline SVG (:func:`vsm_widget.presentation.render.render_svg`), never
wider than the page. In JupyterLab and Notebook 7 the canvas's stylesheet
(``js/widget.css``) hides it once the live canvas is on the page.

It is inline SVG in a ``text/html`` output of its own because nbconvert writes only the
widget view of an output that has one (when the widget state is stored, as ``--execute``
stores it), and embeds an ``image/svg+xml`` output as a data-URI image.

Every user string is escaped: by :func:`html.escape` here, by ElementTree in the SVG.
Pure Python: no widgets.
"""

from __future__ import annotations

import html

from ..core.metrics import Metrics
from ..core.model import Map
from .figures import CARDS, card_text, duration_text
from .render import render_svg

__all__ = ["CLASS", "fallback_html"]

#: The class of the picture's outer element; ``js/widget.css`` hides it next to a live canvas.
CLASS = "vsm-fallback"

_NOTE = "A static picture of the map: run the notebook to edit it on the canvas."


def _steps_table(map: Map, metrics: Metrics) -> str:
    """Each step's cycle time against takt: the dashboard's cycle-time chart as a table."""
    takt = "" if metrics.takt_time is None else f" ({duration_text(metrics.takt_time, metrics)})"
    rows = [
        "<thead><tr><th>Step</th><th>C/T</th><th>Uptime</th>"
        f"<th>Effective C/T</th><th>Against takt{html.escape(takt)}</th></tr></thead>"
    ]
    for step, figures in zip(map.steps, metrics.steps, strict=True):
        verdict = "bottleneck" if figures.is_bottleneck else ""
        if figures.over_takt:
            verdict = f"over takt, {verdict}" if verdict else "over takt"
        rows.append(
            f"<tr><td>{html.escape(step.name)}</td>"
            f"<td>{html.escape(duration_text(step.cycle_time, metrics))}</td>"
            f"<td>{metrics.display.share(step.uptime)}</td>"
            f"<td>{html.escape(duration_text(figures.effective_cycle_time, metrics))}</td>"
            f"<td>{verdict}</td></tr>"
        )
    return f'<table class="vsm-fallback-steps">{"".join(rows)}</table>'


def fallback_html(map: Map, *, steps: bool = False) -> str:
    """The static view of ``map`` as HTML: its title, headline figures and the map as SVG.

    ``steps=True`` adds a table of the steps' cycle times against takt (the dashboard's
    chart, as text). The result is one ``<div class="vsm-fallback">``.
    """
    metrics = map.metrics()
    figures = " · ".join(
        f"{html.escape(spec.title)} <strong>{html.escape(card_text(spec.name, metrics)[1])}</strong>"
        for spec in CARDS
    )
    parts = [f'<div class="{CLASS}">']
    if map.title:
        parts.append(f'<p class="vsm-fallback-title"><strong>{html.escape(map.title)}</strong></p>')
    parts.append(f'<p class="vsm-fallback-figures">{figures}</p>')
    parts.append(f'<div class="vsm-fallback-map">{render_svg(map, scalable=True)}</div>')
    if steps and map.steps:
        parts.append(_steps_table(map, metrics))
    parts.append(f'<p class="vsm-fallback-note"><em>{_NOTE}</em></p>')
    parts.append("</div>")
    return "\n".join(parts)
