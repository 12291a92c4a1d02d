"""Colours by role, and the style of every drawn class: one table for the canvas and every picture.

A scene's shapes carry role classes (``vsm-head-waste``, ``vsm-badge-over``...), never
colours. :data:`STYLES` says how each class is painted, naming colours by *role*
(``$fg1``, ``$waste-strong``); :data:`PALETTES` gives each role a colour in the light
and dark themes and in a print palette (light, on white, with black ink). The SVG writer
resolves the styles into attributes of each shape; :func:`canvas_css` turns the same
table into the canvas's stylesheet, with each role as a CSS variable per theme.
"""

from __future__ import annotations

from collections.abc import Iterable

from .text import DEFAULT_TEXT, TEXT_STYLES, text_style

__all__ = ["PALETTES", "ROLES", "STYLES", "canvas_css", "resolve_style"]

#: Every colour role of the map.
ROLES = (
    "bg",
    "panel",
    "subtle",
    "fg",
    "fg1",
    "muted",
    "line",
    "line-soft",
    "accent",
    "error",
    "warn",
    "ok",
    "va",
    "va-strong",
    "nn",
    "nn-strong",
    "waste",
    "waste-strong",
    "burst",
    "burst-line",
    "burst-text",
    "burst-done",
    "on-strong",
)

_LIGHT = {
    "bg": "#ffffff",
    "panel": "#ffffff",
    "subtle": "#eef0f3",
    "fg": "#1b1f24",
    "fg1": "#2f353d",
    "muted": "#5f6b7a",
    "line": "#8c96a3",
    "line-soft": "#d5dae1",
    "accent": "#1976d2",
    "error": "#c62828",
    "warn": "#b45309",
    "ok": "#2e7d32",
    "va": "#d5eedb",
    "va-strong": "#2e7d32",
    "nn": "#faebc4",
    "nn-strong": "#a16207",
    "waste": "#f7d4d4",
    "waste-strong": "#b91c1c",
    "burst": "#ffd54f",
    "burst-line": "#e65100",
    "burst-text": "#2b2100",
    "burst-done": "#c8e6c9",
    "on-strong": "#ffffff",
}

_DARK = {
    "bg": "#111111",
    "panel": "#1c1c1c",
    "subtle": "#2b2f36",
    "fg": "#eceff3",
    "fg1": "#d0d5dc",
    "muted": "#9aa4b1",
    "line": "#6b7480",
    "line-soft": "#3a3f47",
    "accent": "#64b5f6",
    "error": "#ef5350",
    "warn": "#fbbf24",
    "ok": "#66bb6a",
    "va": "#1f3d27",
    "va-strong": "#43a047",
    "nn": "#45391a",
    "nn-strong": "#ca8a04",
    "waste": "#4a2020",
    "waste-strong": "#e53935",
    "burst": "#ffd54f",
    "burst-line": "#ff8a3d",
    "burst-text": "#2b2100",
    "burst-done": "#a5d6a7",
    "on-strong": "#ffffff",
}

_PRINT = {
    **_LIGHT,
    "subtle": "#f1f3f5",
    "fg": "#000000",
    "fg1": "#1a1a1a",
    "muted": "#404850",
    "line": "#5c6670",
}

#: Colour of each role, per palette.
PALETTES: dict[str, dict[str, str]] = {"light": _LIGHT, "dark": _DARK, "print": _PRINT}

_TEXT = {"fill": "$fg"}

#: How each class is painted: SVG presentation properties, colours as ``$role``.
#: Later classes of a shape override earlier ones, as in a stylesheet.
STYLES: dict[str, dict[str, str]] = {
    # text
    "vsm-title": _TEXT,
    "vsm-state-tag": {"fill": "$muted"},
    "vsm-state-future": {"fill": "$accent"},
    "vsm-scope": {"fill": "$muted"},
    "vsm-warning": {"fill": "$warn"},
    "vsm-name": _TEXT,
    "vsm-label": {"fill": "$muted"},
    "vsm-value": _TEXT,
    "vsm-strong": {},
    "vsm-small": {"fill": "$muted"},
    "vsm-halo-text": {
        "paint-order": "stroke",
        "stroke": "$bg",
        "stroke-width": "4",
        "stroke-linejoin": "round",
    },
    "vsm-value-over": {"fill": "$warn"},
    # shapes
    "vsm-shape": {"fill": "$panel", "stroke": "$fg1", "stroke-width": "1.4", "stroke-linejoin": "round"},
    "vsm-factory": {"fill": "$subtle"},
    "vsm-databox": {"fill": "$panel", "stroke": "$line", "stroke-width": "1"},
    "vsm-frame": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.5"},
    "vsm-frame-bottleneck": {"stroke": "$error", "stroke-width": "2.5"},
    "vsm-head": {"fill": "$subtle", "stroke": "$fg1", "stroke-width": "1"},
    "vsm-head-value-adding": {"fill": "$va"},
    "vsm-head-necessary": {"fill": "$nn"},
    "vsm-head-waste": {"fill": "$waste"},
    "vsm-strip": {"fill": "$va-strong"},
    "vsm-strip-value-adding": {"fill": "$va-strong"},
    "vsm-strip-necessary": {"fill": "$nn-strong"},
    "vsm-strip-waste": {"fill": "$waste-strong"},
    "vsm-strip-hatch": {},
    "vsm-hatch": {"stroke": "#ffffff", "stroke-opacity": "0.45", "stroke-width": "3"},
    "vsm-strip-text": {"fill": "$on-strong"},
    "vsm-badge": {"stroke": "none"},
    "vsm-badge-bottleneck": {"fill": "$error"},
    "vsm-badge-over": {"fill": "$bg", "stroke": "$warn", "stroke-width": "1.5", "stroke-dasharray": "3 2"},
    "vsm-badge-text": {"stroke": "none"},
    "vsm-badge-bottleneck-text": {"fill": "$on-strong"},
    "vsm-badge-over-text": {"fill": "$warn"},
    "vsm-pill": {"stroke-width": "1"},
    "vsm-pill-waste": {"fill": "$nn", "stroke": "$nn-strong"},
    "vsm-pill-text": {"fill": "$fg1"},
    "vsm-operator": {"fill": "$muted"},
    "vsm-triangle": {"fill": "$nn", "stroke": "$fg1", "stroke-width": "1.5"},
    "vsm-triangle-i": {"fill": "$fg"},
    "vsm-clock": {"fill": "$panel"},
    "vsm-clock-hands": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.8", "stroke-linecap": "round"},
    "vsm-control-box": {"fill": "$subtle"},
    "vsm-window": {"fill": "$line-soft", "stroke": "$fg1", "stroke-width": "0.8"},
    "vsm-wheel": {"fill": "$fg1"},
    "vsm-burst-shape": {
        "fill": "$burst",
        "stroke": "$burst-line",
        "stroke-width": "1.5",
        "stroke-linejoin": "miter",
    },
    "vsm-burst-done": {"fill": "$burst-done", "stroke": "$ok"},
    "vsm-burst-text": {"fill": "$burst-text"},
    "vsm-burst-status": {"fill": "$burst-text"},
    "vsm-empty-box": {"fill": "none", "stroke": "$line", "stroke-width": "1.2", "stroke-dasharray": "6 4"},
    # flows
    "vsm-marker": {"fill": "$fg1"},
    "vsm-link": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.5"},
    "vsm-info-line": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.3"},
    "vsm-rework-line": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.5", "stroke-dasharray": "6 3"},
    "vsm-rework-text": {"fill": "$fg"},
    "vsm-lane-label": {"fill": "$muted"},
    "vsm-withdrawal": {"stroke-width": "1.8"},
    "vsm-push": {"stroke": "$fg1", "stroke-width": "1.2", "stroke-linejoin": "miter"},
    "vsm-stripe-bg": {"fill": "$bg"},
    "vsm-stripe": {"fill": "$fg1"},
    "vsm-rail": {"stroke": "$fg1", "stroke-width": "1.6"},
    "vsm-fifo-tag": {"fill": "$bg", "stroke": "$fg1", "stroke-width": "1"},
    "vsm-fifo-text": {"fill": "$fg"},
    "vsm-supermarket": {"fill": "none", "stroke": "$fg1", "stroke-width": "1.8"},
    "vsm-shipment-arrow": {
        "fill": "$panel",
        "stroke": "$fg1",
        "stroke-width": "1.3",
        "stroke-linejoin": "round",
    },
    # invisible helpers: hit areas and the selection halo (the canvas styles them on hover)
    "vsm-hit": {"fill": "#000000", "fill-opacity": "0", "stroke": "none"},
    "vsm-hit-line": {"fill": "none", "stroke": "#000000", "stroke-opacity": "0", "stroke-width": "12"},
    "vsm-halo-sel": {"fill": "none", "stroke": "none"},
    # the canvas's insertion handles (never in a picture)
    "vsm-slot-ring": {"fill": "$panel", "stroke": "$accent", "stroke-width": "1.5"},
    "vsm-slot-plus": {"fill": "none", "stroke": "$accent", "stroke-width": "2", "stroke-linecap": "round"},
    # measured spread on a data box: p15 to p85, the median, the drawn estimate
    "vsm-spread-track": {"stroke": "$line-soft", "stroke-width": "1"},
    "vsm-spread-range": {"stroke": "$accent", "stroke-width": "4", "stroke-linecap": "round"},
    "vsm-spread-median": {"stroke": "$fg", "stroke-width": "2"},
    "vsm-spread-estimate": {"fill": "$fg1", "stroke": "none"},
    # timeline
    "vsm-ladder": {"stroke": "$fg1", "stroke-width": "1.6"},
    "vsm-rung-text": _TEXT,
    "vsm-rung-wait": {"fill": "$fg1"},
    "vsm-totals-box": {"fill": "$panel", "stroke": "$fg1", "stroke-width": "1.2"},
    "vsm-total": _TEXT,
}


_ORDER = {name: index for index, name in enumerate(STYLES)}
_KNOWN = frozenset(STYLES)


def resolve_style(classes: Iterable[str], palette: dict[str, str], *, text: bool = False) -> dict[str, str]:
    """The properties of a shape with these classes, colours taken from ``palette``
    (with its font size and weight for a ``text``).
    """
    names = set(classes)
    merged: dict[str, str] = {}
    # In the table's order, as a stylesheet's cascade would apply them.
    for name in sorted(names & _KNOWN, key=_ORDER.__getitem__):
        merged.update(STYLES[name])
    style = {key: palette[value[1:]] if value.startswith("$") else value for key, value in merged.items()}
    if text:
        font = text_style(tuple(names))
        style["font-size"] = f"{font.size:g}"
        style["font-weight"] = str(font.weight)
        if font.spacing:
            style["letter-spacing"] = f"{font.spacing:g}em"
    return style


def canvas_css() -> str:
    """The canvas's stylesheet for drawn shapes: each role a variable, light and dark."""

    def variables(palette: dict[str, str]) -> str:
        return " ".join(f"--vsm-c-{role}: {palette[role]};" for role in ROLES)

    lines = [
        "/* Drawn shapes: generated from vsm_widget.presentation.palette (do not edit by hand). */",
        f".vsm-canvas {{ {variables(_LIGHT)} }}",
        f".vsm-canvas.vsm-dark {{ {variables(_DARK)} }}",
        ".vsm-svg text { fill: var(--vsm-c-fg); "
        f"font-size: {DEFAULT_TEXT.size:g}px; font-weight: {DEFAULT_TEXT.weight}; }}",
    ]
    lines += [
        f".vsm-svg .{name} {{ font-size: {f.size:g}px; font-weight: {f.weight}; "
        f"letter-spacing: {f.spacing:g}em; }}"
        for name, f in TEXT_STYLES.items()
    ]
    for name, properties in STYLES.items():
        if not properties:
            continue
        body = " ".join(
            f"{key}: {'var(--vsm-c-' + value[1:] + ')' if value.startswith('$') else value};"
            for key, value in properties.items()
        )
        lines.append(f".vsm-svg .{name} {{ {body} }}")
    return "\n".join(lines) + "\n"
