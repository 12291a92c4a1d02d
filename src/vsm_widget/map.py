"""The coach-facing map: :class:`ValueStreamMap`, the core's :class:`~vsm_widget.core.model.Map`
with the house's other rooms at hand.

The core map validates every edit, keeps its history and computes the figures; this top
layer adds what a coach reaches for on a map: files and frames (``save``, ``load``,
``from_frame``, ``from_event_log``, templates), pictures (``to_svg``, the static
fallback), the Excel summary, the comparison, the simulation and, in Jupyter, the editor
and the dashboard. Each method hands the map to the layer that does the work; nothing
below imports this module (the lower layers make maps through
:func:`~vsm_widget.core.model.new_map`, which builds this class once it is registered here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .core.model import Map, register_map_class

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ValueStreamMap"]


class ValueStreamMap(Map):
    """A value stream map: customer, calendar, steps and gaps, flows and kaizen bursts.

    >>> m = ValueStreamMap("Steering brackets", demand=18400, period="month",
    ...                    working_days=20, available_time="2 x 27600 s")
    >>> m.add_process("Stamping", cycle_time="1 s", changeover="1 h", uptime="85%").id
    'p1'
    >>> m.metrics().format("takt_time")
    '60 s'

    Every edit is validated (a :class:`~vsm_widget.core.model.ValidationError` names the field
    and leaves the map unchanged), recorded for undo and redo, and told to observers; see
    :class:`~vsm_widget.core.model.Map` for the edits. The methods here hand the map to the
    other layers: files and frames, pictures, the comparison, the simulation, Jupyter.
    """

    # ----------------------------------------------------------------- files and frames

    def to_dict(self) -> dict[str, Any]:
        """The map as a versioned JSON-ready document (see :mod:`vsm_widget.data.io`)."""
        from .data.io import to_document

        return to_document(self._state)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ValueStreamMap:
        """A map from a document made by :meth:`to_dict` (validated, migrated)."""
        from .data.io import from_document

        return from_document(document)

    def save(self, path: Any, *, workshop: bool = False) -> None:
        """Write the map as JSON atomically: a crash never leaves half a file.

        ``workshop=True`` saves the workshop's dot votes and whys with it (never the lock,
        the timer or the walk); :meth:`load` restores them.
        """
        from .data.io import save

        save(self, path, workshop=workshop)

    @classmethod
    def load(cls, path: Any) -> ValueStreamMap:
        """Read a map saved with :meth:`save`; errors name the JSON path at fault."""
        from .data.io import load

        return load(path)

    def steps_frame(self) -> pd.DataFrame:
        """One row per step, with the gap before it and derived figures (pandas)."""
        from .data.io import steps_frame

        return steps_frame(self)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, title: str = "Value stream", **calendar: Any) -> ValueStreamMap:
        """A map from a frame shaped like :meth:`steps_frame` (extra columns ignored)."""
        from .data.io import from_frame

        return from_frame(frame, title=title, **calendar)

    @classmethod
    def from_event_log(cls, frame: Any, **options: Any) -> ValueStreamMap:
        """A map drawn from an event log (see :func:`vsm_widget.data.eventlog.from_event_log`)."""
        from .data.eventlog import from_event_log

        return from_event_log(frame, **options)

    @classmethod
    def template(cls, name: str) -> ValueStreamMap:
        """A ready-made example map by name; :meth:`templates` lists them."""
        from .data.templates import load_template

        return load_template(name)

    @staticmethod
    def templates() -> pd.DataFrame:
        """The ready-made maps: name, description and where their figures come from."""
        from .data.templates import list_templates

        return list_templates()

    def readiness(self, future: ValueStreamMap | None = None) -> Any:
        """What the map still lacks, per element, and which of the ten mapping steps are done."""
        from .core.readiness import readiness

        return readiness(self, future)

    def to_svg(self, path: Any = None, *, palette: str = "light") -> str | None:
        """The map as a static SVG picture (no browser needed); saved atomically to ``path``
        if given, with the font inside so that it looks the same on any machine.

        ``palette`` is ``"light"``, ``"dark"`` or ``"print"``.
        """
        from .presentation.render import render_svg, save_svg

        if path is None:
            return render_svg(self, palette=palette)
        save_svg(self, path, palette=palette)
        return None

    def to_excel(self, path: Any) -> None:
        """Write a summary workbook: map, steps, gaps, metrics, kaizen actions, readiness."""
        from .data.export import to_excel

        to_excel(self, path)

    def compare(self, future: ValueStreamMap) -> Any:
        """Each metric of this map against ``future``: before, after and the change."""
        from .core.compare import compare

        return compare(self, future)

    def dashboard(self, **options: Any) -> Any:
        """The workshop view: canvas, metric cards and charts, linked (needs bqplot)."""
        from .jupyter.dashboard import Dashboard

        return Dashboard(self, **options)

    # ----------------------------------------------------------------- the workshop

    def votes(self) -> pd.DataFrame:
        """The dot votes: one row per kaizen burst (those with no vote too), most votes first.

        Columns ``burst`` (id), ``text``, ``on`` (the id of the step or gap it is on, or
        None for the whole map), ``on_name``, ``votes`` (dots) and ``voters`` (names, with
        a person's dots in brackets when more than one: ``"Ana (2), Ben"``).
        """
        import pandas as pd

        w = self.workshop
        names = {item.id: getattr(item, "name", "") for item in self.state.all_items}
        rows = []
        for burst in self.state.bursts:
            people = w.voters(burst.id)
            shown = [
                (w.name_of(p) or p) + (f" ({n})" if n > 1 else "")
                for p, n in sorted(people.items(), key=lambda pn: (-pn[1], w.name_of(pn[0]) or pn[0]))
            ]
            rows.append(
                {
                    "burst": burst.id,
                    "text": burst.text,
                    "on": burst.target,
                    "on_name": names.get(burst.target, "") if burst.target else "",
                    "votes": sum(people.values()),
                    "voters": ", ".join(shown),
                }
            )
        columns = ["burst", "text", "on", "on_name", "votes", "voters"]
        frame = pd.DataFrame(rows, columns=columns).astype({"votes": "int64"})
        # A stable sort: bursts with as many votes keep the map's order.
        return frame.sort_values("votes", ascending=False, kind="stable").reset_index(drop=True)

    def whys(self) -> pd.DataFrame:
        """The chains of whys asked on the steps, in the walk's order of steps, each step's in
        the order asked. Columns ``step`` (id), ``step_name``, ``walk`` (the walk it was asked
        in, or missing), ``order`` (1, 2... along the step's chain), ``why``, ``author`` and
        ``asked_at`` (a UTC timestamp).
        """
        import pandas as pd

        w = self.workshop
        steps = {step.id: step.name for step in self.state.all_steps}
        rows = []
        for step in w.order():
            for order, why in enumerate(w.whys(step), start=1):
                rows.append(
                    {
                        "step": step,
                        "step_name": steps[step],
                        "walk": why["walk"],
                        "order": order,
                        "why": why["text"],
                        "author": why["author"],
                        "asked_at": why["at"],
                    }
                )
        columns = ["step", "step_name", "walk", "order", "why", "author", "asked_at"]
        frame = pd.DataFrame(rows, columns=columns)
        frame["walk"] = frame["walk"].astype("Int64")
        frame["order"] = frame["order"].astype("int64")
        frame["asked_at"] = pd.to_datetime(frame["asked_at"].astype("float64"), unit="s", utc=True)
        return frame

    # ----------------------------------------------------------------- display

    def editor(self, **options: Any) -> Any:
        """The editable canvas of this map, as a Jupyter widget (needs anywidget).

        A map has one editor: calling this again returns the same widget (with any
        ``options`` applied, such as ``height=600``), so every cell showing the map
        shows the same canvas, and no stale canvas keeps following the map.
        """
        from .jupyter.widget import editor_for

        return editor_for(self, **options)

    def share(self, host: str = "127.0.0.1", port: int = 0, *, edit: bool = True) -> Any:
        """Open a live room: participants' browsers show and edit this map over a link.

        Returns a :class:`vsm_widget.jupyter.room.Room`; hand out ``room.url`` (the
        notebook shows it, with a QR code when ``segno`` is installed) and end the room
        with ``room.close()``. ``host="0.0.0.0"`` serves participants on other machines of
        the room's network, ``port=0`` picks a free port, ``edit=False`` makes it view only.
        See ``docs/live.md``.
        """
        from .jupyter.room import share

        return share(self, host=host, port=port, edit=edit)

    def _ipython_display_(self) -> None:
        """Show the editor in a notebook, then a static picture of the map with its figures.

        The picture is its own output, for readers without JavaScript (exported HTML,
        GitHub, nbviewer); next to a live canvas, the canvas's stylesheet hides it.
        """
        from .presentation.fallback import fallback_html

        try:
            from .jupyter.widget import display_with_fallback

            widget = self.editor()
        except ImportError:
            from IPython.display import publish_display_data

            publish_display_data({"text/html": fallback_html(self), "text/plain": repr(self)})
            return
        display_with_fallback(widget, fallback_html(self), text=repr(self))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """The editor, with the static picture as HTML beside it, as one output.

        For front ends that ask for one bundle; IPython and Jupyter use
        :meth:`_ipython_display_`. Viewers without widgets show the picture; plain-text
        viewers show the map's repr.
        """
        from .presentation.fallback import fallback_html

        fallback = {"text/html": fallback_html(self), "text/plain": repr(self)}
        try:
            widget = self.editor()
        except ImportError:
            return fallback
        bundle = widget._repr_mimebundle_(include=include, exclude=exclude)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        return {**data, **fallback}, metadata

    def simulate(self, items: int | None = None, **options: Any) -> Any:
        """Simulate orders through this map: lead times as a distribution (see
        :func:`vsm_widget.simulation.simulate` for ``seed``, ``arrivals`` and the options).
        """
        from .simulation import simulate

        return simulate(self, items, **options)


register_map_class(ValueStreamMap)
