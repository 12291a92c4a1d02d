"""Notebooks as HTML pages, read as a browser without JavaScript shows them: their
elements and their text.

The parser is the standard library's, which (like a browser's) reads what a ``<script>``
holds as raw text: an element found here is on the page, not inside a script.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


@dataclass
class Element:
    """A start tag: its name and attributes."""

    tag: str
    attrs: dict[str, str]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


@dataclass
class Page:
    """Every element of a page, and its visible text (scripts and styles left out)."""

    elements: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str, css_class: str | None = None) -> list[Element]:
        """The elements ``tag`` (with the class ``css_class``, if given)."""
        return [e for e in self.elements if e.tag == tag and (css_class is None or css_class in e.classes)]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._raw: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append(Element(tag, {k: v or "" for k, v in attrs}))
        if tag in ("script", "style"):
            self._raw = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is None:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(" ".join(self._text).split())


def read_page(html: str) -> Page:
    """Parse ``html``: its elements and its visible text."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def to_html(notebook: Any) -> str:
    """``notebook`` (executed) as ``jupyter nbconvert --to html`` writes it."""
    from nbconvert import HTMLExporter

    # nbconvert's templates, also where this Python is a virtualenv over a system Jupyter
    # (whose data folder a virtualenv does not search).
    before = os.environ.get("JUPYTER_PATH")
    paths = [before or "", str(Path(sys.base_prefix, "share", "jupyter"))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, paths))
    try:
        html, _ = HTMLExporter().from_notebook_node(notebook)
    finally:
        if before is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = before
    return str(html)
