"""The elements of a map and their fields, each field declared once.

Every element kind is a frozen dataclass below, and every field a user can set is
declared in it with all the package needs to know about it: its label and long title,
the kind of value it holds (a duration, a share, a whole number, a choice...), its
limits, its choices and their other spellings, whether it clears to none, its help text,
its row in the element's data box and its column in a frame. Everything else follows
from these declarations:

- the model's parsers and checks (:mod:`vsm_widget.core.model`);
- the JSON Schema of map documents (:mod:`vsm_widget.data.document_schema`);
- the details panel and the inline editors of the canvas (:func:`panel_fields`, sent to
  the browser as the widget's ``fields`` trait);
- the rows of the data boxes on the map (:func:`rows`, drawn by the scene);
- the frame columns of :meth:`ValueStreamMap.steps_frame` and the Excel summary's
  columns (:func:`columns`, :func:`summary_fields`).

Adding a field to process boxes is one line in :class:`Process` (and its tests): say
``scrap: float | None = share("Scrap", title="Scrap rate", help="...", row=Row(11, "Scrap"))``.

Durations are stored in seconds; a duration typed in one unit ("1 h", "90 s") is
remembered in the element's ``units`` (see :func:`unit_of`), so every view shows it back
in that unit where it reads cleanly there.

A duration of a step or a gap may be given as a distribution
(:mod:`vsm_widget.core.distributions`: ``triangular("40 s", "55 s", "90 s")``, or its text
``"triangular(40 s, 55 s, 90 s)"``). The field then keeps the distribution's *mean* in
seconds, and the element's ``distributions`` record keeps the distribution by field (see
:func:`distribution_of`), as ``units`` keeps the typed unit. So every figure, caller and
view that reads a field's seconds reads the mean, unchanged; what knows about variability
(the simulation, the data box's range, documents and frames) reads the record.

This module is pure Python (standard library, :mod:`vsm_widget.core.units` and
:mod:`vsm_widget.core.distributions`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from . import units

if TYPE_CHECKING:  # pragma: no cover - annotations only: fields stays below distributions
    from .distributions import Distribution

__all__ = [
    "VALUE_CLASSES",
    "WASTE_TYPES",
    "FLOW_KINDS",
    "PERIODS",
    "INFO_KINDS",
    "BURST_STATUSES",
    "DAY_BASES",
    "TIMEFRAMES",
    "LADDER_UNITS",
    "TYPED_UNITS",
    "VALUE_KINDS",
    "KINDS",
    "PANEL_KINDS",
    "Field",
    "Row",
    "Customer",
    "Supplier",
    "Control",
    "Process",
    "Gap",
    "Shipment",
    "InfoFlow",
    "Burst",
    "Branch",
    "Rework",
    "MAIN",
    "MapState",
    "Spread",
    "SPREAD_FIELDS",
    "declared",
    "given",
    "rows",
    "columns",
    "summary_fields",
    "panel_fields",
    "unit_of",
    "distribution_of",
    "VARYING_KINDS",
    "duration",
    "share",
    "number",
    "whole",
    "line",
    "long_text",
    "choice",
    "waste",
    "variants",
    "reference",
    "coordinate",
    "typed_units",
    "typed_distributions",
]

# --------------------------------------------------------------------------- vocabularies

#: How a step is judged: would the customer pay for it?
VALUE_CLASSES = ("value-adding", "necessary", "waste")
#: The eight wastes (TIMWOODS), with "defects" standing for mistake resolution and rework.
WASTE_TYPES = (
    "transport",
    "inventory",
    "motion",
    "waiting",
    "overproduction",
    "overprocessing",
    "defects",
    "skills",
)
#: How material moves into the next step across a gap.
FLOW_KINDS = ("push", "pull", "fifo")
#: Periods that customer demand can be given per, with their most calendar days.
PERIODS: dict[str, int] = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
#: Kinds of information flow: manual (straight arrow) or electronic (lightning).
INFO_KINDS = ("manual", "electronic")
#: The state of a kaizen burst in the action plan.
BURST_STATUSES = ("idea", "planned", "doing", "done")
#: What a lead-time "day" means: a working day of the map's calendar, or 24 hours.
DAY_BASES = ("working", "calendar")
#: Which picture a map is: the stream as it is, or as it should become.
TIMEFRAMES = ("current", "future")
#: The units a duration is remembered in when typed in one of them (and shown in).
TYPED_UNITS = ("s", "min", "h", "d")
#: The units a map's timeline ladder may read in: chosen from its totals, or fixed.
LADDER_UNITS = ("auto", *TYPED_UNITS)

VALUE_CLASS_ALIASES = {
    "value-adding": "value-adding",
    "value adding": "value-adding",
    "va": "value-adding",
    "necessary": "necessary",
    "necessary non-value-adding": "necessary",
    "necessary non value adding": "necessary",
    "nnva": "necessary",
    "business value-adding": "necessary",
    "waste": "waste",
    "nva": "waste",
    "non-value-adding": "waste",
}
WASTE_ALIASES = {
    **{w: w for w in WASTE_TYPES},
    "transportation": "transport",
    "wait": "waiting",
    "defect": "defects",
    "rework": "defects",
    "mistake resolution": "defects",
    "mistakes": "defects",
    "over-processing": "overprocessing",
    "over-production": "overproduction",
    "unused skills": "skills",
    "skill": "skills",
    "talent": "skills",
}
#: Every spelling of a ladder unit: "auto" and the duration units' own spellings.
LADDER_ALIASES = {
    "auto": "auto",
    **{spelling: unit for spelling, unit in units._UNIT_ALIASES.items() if unit in TYPED_UNITS},
}

# --------------------------------------------------------------------------- limits

#: The longest duration any field accepts (ten calendar years): more is a typing error.
MAX_DURATION = 10 * 366 * units.SECONDS_PER_CALENDAR_DAY
#: The largest count or quantity any field accepts.
MAX_QUANTITY = 1e12
#: The largest canvas coordinate.
MAX_COORDINATE = 1e6
MAX_NAME_LENGTH = 120
MAX_TEXT_LENGTH = 5000
#: What an element id looks like: a letter, then letters, digits or _ . : -
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$"
#: Ids of the fixed elements, which no other element may take.
RESERVED_IDS = ("map", "customer", "supplier", "control")
#: The longest id (and so the longest reference to one).
MAX_ID_LENGTH = 64
#: The most variants one gap may count: their list must fit one spreadsheet cell
#: (Excel holds 32,767 characters) as the ``variants`` column of a frame.
MAX_VARIANTS = 100
DEFAULT_WORKING_DAY = 8 * 3600.0

# --------------------------------------------------------------------------- declarations

#: The kinds of value a field holds.
VALUE_KINDS = (
    "duration",  # seconds; typed with units ("90 s", "1.5 h", "2 d")
    "share",  # a fraction from 0 to 1; typed "85%" or 0.85
    "number",
    "integer",  # a whole number
    "text",  # one line
    "longtext",  # notes, several lines
    "choice",  # one of a few words
    "waste",  # waste tags, a subset of WASTE_TYPES
    "variants",  # (name, quantity) pairs of a product family
    "reference",  # the id of another element of the map
    "coordinate",  # a place on the canvas
    "units",  # the units durations were typed in (see unit_of)
    "distributions",  # the distributions durations were given as (see distribution_of)
)

# Where a declaration rides on its dataclass field.
_SPEC = "vsm_widget.field"


@dataclass(frozen=True, slots=True)
class Row:
    """A field's row in its element's data box on the map.

    ``order`` places it among the box's rows; ``label`` is written on the left ("C/T");
    ``text`` is the value's text in a template, ``{}`` standing for the value and
    ``{name}`` for another field of the element (``"{} / {period}"``). A row whose value
    is not given is left out, unless ``empty`` says what it reads then (``{}`` is a dash).
    """

    order: int
    label: str = ""
    text: str = "{}"
    empty: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an element kind, as declared in its dataclass below.

    ``name`` and ``default`` come from the dataclass field; ``kind`` is one of
    :data:`VALUE_KINDS`. ``low`` and ``high`` bound numbers (``above``: ``low`` itself is
    not allowed; ``below``: ``high`` itself is not allowed); ``length`` bounds text;
    ``required`` text must not be empty; a field that ``clears`` takes None (or empty
    text, "none", "-") for "not given". ``noun`` is what a count counts ("operator":
    "2 operators"). ``reads`` is how a duration is shown: ``"duration"`` (in the unit
    that suits it) or ``"shift"`` (never in days). ``panel`` is ``"edit"``, ``"readonly"``
    or ``"hidden"`` in the details panel;
    ``column`` is the field's frame column (None: not in frames).
    """

    kind: str
    label: str
    title: str = ""
    help: str = ""
    name: str = ""
    default: Any = None
    unit: str = ""
    noun: str = ""
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    low: float | None = None
    high: float | None = None
    above: bool = False
    clears: bool = False
    required: bool = False
    length: int | None = None
    reads: str = ""
    row: Row | None = None
    panel: str = "edit"
    column: str | None = ""
    below: bool = False

    @property
    def long_title(self) -> str:
        """The title, or the label where there is none."""
        return self.title or self.label


def _declare(spec: Field, default: Any = dataclasses.MISSING) -> Any:
    """The dataclass field carrying ``spec`` (with ``default``, if any)."""
    if default is dataclasses.MISSING:
        return field(metadata={_SPEC: spec})
    return field(default=default, metadata={_SPEC: spec})


def duration(
    label: str,
    *,
    title: str = "",
    help: str = "",
    clears: bool = True,
    above: bool = False,
    reads: str = "duration",
    row: Row | None = None,
    default: Any = None,
) -> Any:
    """A duration in seconds, typed with units (``"90 s"``, ``"1.5 h"``, ``"2 d"``);
    ``above``: more than zero.
    """
    spec = Field(
        "duration",
        label,
        title,
        help,
        unit="s",
        low=0.0,
        high=MAX_DURATION,
        above=above,
        clears=clears,
        reads=reads,
        row=row,
    )
    return _declare(spec, default)


def share(
    label: str,
    *,
    title: str = "",
    help: str = "",
    row: Row | None = None,
    clears: bool = True,
    below: bool = False,
) -> Any:
    """A share from 0 to 1 (``"85%"`` or 0.85), None when not measured; one that does not
    ``clears`` must be given; ``below``: less than 1.
    """
    spec = Field("share", label, title, help, low=0.0, high=1.0, clears=clears, row=row, below=below)
    return _declare(spec, None if clears else dataclasses.MISSING)


def number(
    label: str,
    *,
    low: float,
    high: float,
    title: str = "",
    help: str = "",
    above: bool = False,
    clears: bool = True,
    noun: str = "",
    row: Row | None = None,
    default: Any = None,
    integer: bool = False,
) -> Any:
    """A number from ``low`` (excluded when ``above``) to ``high``; whole if ``integer``."""
    kind = "integer" if integer else "number"
    spec = Field(kind, label, title, help, noun=noun, low=low, high=high, above=above, clears=clears, row=row)
    return _declare(spec, default)


def whole(label: str, **options: Any) -> Any:
    """A whole number: :func:`number` with ``integer=True``."""
    return number(label, integer=True, **options)


def line(
    label: str,
    *,
    title: str = "",
    help: str = "",
    required: bool = False,
    length: int = MAX_NAME_LENGTH,
    row: Row | None = None,
    default: Any = dataclasses.MISSING,
) -> Any:
    """One line of text; ``required`` text is stripped and must not be empty."""
    spec = Field("text", label, title, help, required=required, length=length, row=row)
    return _declare(spec, "" if default is dataclasses.MISSING and not required else default)


def long_text(
    label: str,
    *,
    title: str = "",
    help: str = "",
    required: bool = False,
    length: int = MAX_TEXT_LENGTH,
    default: Any = dataclasses.MISSING,
) -> Any:
    """Text of several lines (notes, a scope, an idea)."""
    spec = Field("longtext", label, title, help, required=required, length=length)
    return _declare(spec, "" if default is dataclasses.MISSING and not required else default)


def choice(
    label: str,
    choices: tuple[str, ...] | Mapping[str, Any],
    *,
    title: str = "",
    help: str = "",
    aliases: Mapping[str, str] | None = None,
    clears: bool = False,
    default: Any = None,
) -> Any:
    """One of ``choices`` (in any case; ``aliases`` maps other spellings to a choice)."""
    options = tuple(choices)
    spec = Field(
        "choice", label, title, help, choices=options, aliases=tuple((aliases or {}).items()), clears=clears
    )
    return _declare(spec, default)


def waste(label: str = "Waste", *, title: str = "", help: str = "") -> Any:
    """Waste tags: a subset of :data:`WASTE_TYPES`, stored in their order."""
    spec = Field("waste", label, title, help, choices=WASTE_TYPES, aliases=tuple(WASTE_ALIASES.items()))
    return _declare(spec, ())


def variants(label: str = "Variants", *, title: str = "", help: str = "") -> Any:
    """Variants of a product family as ``((name, quantity), ...)``."""
    return _declare(Field("variants", label, title, help, noun="unit", panel="readonly"), ())


def reference(
    label: str, *, title: str = "", help: str = "", clears: bool = False, panel: str = "readonly"
) -> Any:
    """The id of another element of the map (an end of a flow, a burst's place)."""
    spec = Field(
        "reference", label, title, help, required=True, length=MAX_ID_LENGTH, clears=clears, panel=panel
    )
    return _declare(spec, None if clears else dataclasses.MISSING)


def coordinate(label: str) -> Any:
    """A place on the canvas; None lays the element out from its order."""
    spec = Field("coordinate", label, low=-MAX_COORDINATE, high=MAX_COORDINATE, clears=True, panel="hidden")
    return _declare(spec, None)


def typed_units() -> Any:
    """The units the element's durations were typed in: ``(("changeover", "h"), ...)``."""
    return _declare(
        Field(
            "units",
            "Units",
            "Units as typed",
            "The unit each duration was typed in, so that it is shown back in it.",
            choices=TYPED_UNITS,
            aliases=tuple(LADDER_ALIASES.items()),
            panel="hidden",
            column=None,
        ),
        (),
    )


def typed_distributions() -> Any:
    """The distributions the element's durations were given as: ``(("cycle_time", Triangular(...)), ...)``."""
    return _declare(
        Field(
            "distributions",
            "Distributions",
            "Distributions of durations",
            "The distribution each varying duration was given as; the field keeps its mean.",
            panel="hidden",
        ),
        (),
    )


# --------------------------------------------------------------------------- the elements


@dataclass(frozen=True, slots=True)
class Customer:
    """The customer icon: demand and the working calendar it is met in.

    ``demand`` is units per ``period``; ``working_days`` is how many working days the
    period has; available time per day is ``shifts x (shift_length - breaks)``.
    """

    kind: ClassVar[str] = "customer"
    name: str = line(
        "Name", title="Customer", help="Who takes the product.", required=True, default="Customer"
    )
    demand: float | None = number(
        "Demand",
        title="Customer demand",
        help="Units the customer takes per period.",
        low=0,
        high=MAX_QUANTITY,
        row=Row(1, text="{} / {period}", empty="Demand –"),
    )
    period: str = choice(
        "Per", PERIODS, title="Demand period", help="The period demand is given per.", default="day"
    )
    working_days: float | None = number(
        "Working days",
        title="Working days per period",
        help="How many working days the period has.",
        low=0,
        high=366,
        above=True,
        noun="working day",
        row=Row(2, empty="Working days –"),
    )
    shifts: int = whole(
        "Shifts",
        title="Shifts per day",
        help="Shifts per working day.",
        low=1,
        high=24,
        clears=False,
        noun="shift",
        default=1,
    )
    shift_length: float | None = duration(
        "Shift length",
        title="Shift length",
        help="The length of one shift, breaks included.",
        above=True,
        reads="shift",
        row=Row(3, text="{shifts} × {}", empty="{shifts} × {}"),
    )
    breaks: float = duration(
        "Breaks / shift",
        title="Breaks per shift",
        help="Breaks taken in each shift.",
        clears=False,
        reads="shift",
        row=Row(4, "Breaks"),
        default=0.0,
    )
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")
    units: tuple[tuple[str, str], ...] = typed_units()

    @property
    def id(self) -> str:
        """The fixed id of the customer."""
        return "customer"


@dataclass(frozen=True, slots=True)
class Supplier:
    """The supplier icon: who delivers what, how often."""

    kind: ClassVar[str] = "supplier"
    name: str = line(
        "Name", title="Supplier", help="Who delivers the material.", required=True, default="Supplier"
    )
    supplies: str = line("Supplies", title="What it supplies", help="The material delivered.", row=Row(1))
    frequency: str = line("Frequency", title="Delivery frequency", help="How often it delivers.", row=Row(2))
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")

    @property
    def id(self) -> str:
        """The fixed id of the supplier."""
        return "supplier"


@dataclass(frozen=True, slots=True)
class Control:
    """The production control box: who schedules the stream."""

    kind: ClassVar[str] = "control"
    name: str = line(
        "Name",
        title="Production control",
        help="Who schedules the stream.",
        required=True,
        default="Production control",
    )
    notes: str = long_text("Notes", help="How the stream is scheduled (MRP, weekly plan...).")
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")

    @property
    def id(self) -> str:
        """The fixed id of production control."""
        return "control"


@dataclass(frozen=True, slots=True)
class Process:
    """A process box with its data box.

    Times are seconds. ``cycle_time`` is C/T (manufacturing), ``process_time`` the
    hands-on time (office maps; defaults to C/T in metrics), ``lead_time`` the elapsed
    time through the step including its own queue (office maps). ``uptime`` and
    ``complete_accurate`` are shares from 0 to 1; ``None`` means not measured.
    ``parallel`` is how many stations share the work.
    """

    kind: ClassVar[str] = "process"
    id: str
    name: str = line("Name", title="Process name", help="What the step is called on the map.", required=True)
    cycle_time: float | None = duration(
        "C/T",
        title="Cycle time",
        help="How often one unit comes out of the step.",
        row=Row(1, "C/T"),
    )
    process_time: float | None = duration(
        "Process time",
        title="Process time",
        help="Hands-on time per unit (office maps); the cycle time where not given.",
        row=Row(2, "PT"),
    )
    lead_time: float | None = duration(
        "Lead time",
        title="Lead time through the step",
        help="Elapsed time through the step, its own queue included (office maps).",
        row=Row(3, "LT"),
    )
    changeover: float | None = duration(
        "C/O", title="Changeover time", help="Time to switch from one product to another.", row=Row(4, "C/O")
    )
    uptime: float | None = share(
        "Uptime", title="Uptime", help="Share of the planned time the step can run.", row=Row(5, "Uptime")
    )
    operators: float | None = number(
        "Operators",
        title="Operators",
        help="People working at the step.",
        low=0,
        high=100_000,
        noun="operator",
        row=Row(10),
    )
    shifts: int | None = whole(
        "Shifts", title="Shifts", help="Shifts the step works per day.", low=1, high=24, row=Row(8, "Shifts")
    )
    batch_size: float | None = number(
        "Batch size",
        title="Batch size",
        help="Units made or moved together.",
        low=0,
        high=MAX_QUANTITY,
        above=True,
        row=Row(7, "Batch"),
    )
    parallel: int = whole(
        "Stations",
        title="Parallel stations",
        help="Stations sharing the work: the step's capacity is multiplied by it.",
        low=1,
        high=10_000,
        clears=False,
        row=Row(9, "Stations"),
        default=1,
    )
    complete_accurate: float | None = share(
        "%C&A",
        title="Percent complete and accurate",
        help="Share of units the next step takes without rework.",
        row=Row(6, "%C&A"),
    )
    value_class: str | None = choice(
        "Value class",
        VALUE_CLASSES,
        title="Value class",
        help="Would the customer pay for the step: value-adding, necessary, or waste.",
        aliases=VALUE_CLASS_ALIASES,
        clears=True,
    )
    waste: tuple[str, ...] = waste(help="The wastes seen at the step.")
    notes: str = long_text("Notes", help="Anything else about the step.")
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")
    units: tuple[tuple[str, str], ...] = typed_units()
    distributions: tuple[tuple[str, Distribution], ...] = typed_distributions()

    @property
    def touch_time(self) -> float | None:
        """Time on the lower rung of the timeline: process time, else cycle time."""
        return self.process_time if self.process_time is not None else self.cycle_time


@dataclass(frozen=True, slots=True)
class Gap:
    """What lies between two steps: an inventory triangle, a queue, or a FIFO lane.

    ``quantity`` is the units waiting (always the sum of ``variants`` where those are
    given: an edit that sets a different total must also give new variants, or
    ``variants=None`` to drop them); ``wait_time`` a measured wait in seconds, which takes
    precedence over the quantity in lead time. ``flow`` is how material moves on: push, pull or fifo (with
    ``fifo_max``).
    """

    kind: ClassVar[str] = "gap"
    id: str
    quantity: float | None = number(
        "Quantity", title="Inventory", help="Units waiting in the gap.", low=0, high=MAX_QUANTITY, noun="unit"
    )
    variants: tuple[tuple[str, float], ...] = variants(
        title="Variants", help="Units waiting per variant of the product family."
    )
    wait_time: float | None = duration(
        "Wait time",
        title="Wait time",
        help="A measured wait; it counts in the lead time before the quantity.",
    )
    flow: str = choice(
        "Flow",
        FLOW_KINDS,
        title="Flow",
        help="How material moves on: pushed, pulled, or through a FIFO lane.",
        default="push",
    )
    fifo_max: float | None = whole(
        "FIFO max",
        title="FIFO lane maximum",
        help="The most units the FIFO lane holds.",
        low=0,
        high=MAX_QUANTITY,
        above=True,
        noun="unit",
    )
    waste: tuple[str, ...] = waste(help="The wastes seen in the gap.")
    notes: str = long_text("Notes", help="Anything else about the gap.")
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")
    units: tuple[tuple[str, str], ...] = typed_units()
    distributions: tuple[tuple[str, Distribution], ...] = typed_distributions()

    @property
    def icon(self) -> str:
        """``"inventory"`` when units are counted, else ``"wait"``."""
        return "inventory" if self.quantity is not None else "wait"


@dataclass(frozen=True, slots=True)
class Shipment:
    """A truck (or other delivery) in from the supplier or out to the customer."""

    kind: ClassVar[str] = "shipment"
    id: str
    direction: str = choice(
        "Direction", ("in", "out"), help="In from the supplier, or out to the customer.", default="out"
    )
    frequency: str = line("Frequency", help='How often it goes ("daily", "2x week").')
    mode: str = line("Mode", default="truck", help="How it goes: truck, courier, e-mail...")
    notes: str = long_text("Notes", help="Anything else about the shipment.")


@dataclass(frozen=True, slots=True)
class InfoFlow:
    """An information arrow, manual or electronic, between two map elements."""

    kind: ClassVar[str] = "flow"
    id: str
    source: str = reference("From", help="The element the information comes from.")
    target: str = reference("To", help="The element the information goes to.")
    medium: str = choice(
        "Medium", INFO_KINDS, help="Manual (a straight arrow) or electronic (lightning).", default="manual"
    )
    label: str = line("Label", help='What the information is ("weekly schedule").')


@dataclass(frozen=True, slots=True)
class Burst:
    """A kaizen burst: an improvement idea on a step, a gap, or the whole map."""

    kind: ClassVar[str] = "burst"
    id: str
    text: str = long_text("Idea", title="Kaizen idea", help="The improvement to make.", required=True)
    target: str | None = reference(
        "On", help="The step or gap the idea is about; none for the whole map.", clears=True, panel="hidden"
    )
    owner: str = line("Owner", help="Who makes it happen.")
    due: str = line("Due", help="By when.")
    status: str = choice(
        "Status", BURST_STATUSES, help="Where the idea is in the action plan.", default="idea"
    )
    x: float | None = coordinate("X")
    y: float | None = coordinate("Y")


StreamItem = Process | Gap

#: The path id of the main line (a branch's path id is its own id).
MAIN = "main"


@dataclass(frozen=True, slots=True)
class Branch:
    """A path of steps and gaps beside the main line, which ends by feeding step ``into``.

    Without ``after`` it is a feeder (a sub-assembly line, a purchased part) with a
    start of its own; with ``after`` it is a parallel path that splits off after that
    step and rejoins at ``into``. ``into`` and ``after`` are step ids on any path, so
    branches nest. ``items`` are steps and gaps in flow order, as the main stream.
    """

    kind: ClassVar[str] = "branch"
    id: str
    into: str = reference(
        "Into", title="Feeds step", help="The step the branch's last step feeds (where it merges)."
    )
    after: str | None = reference(
        "After",
        title="Splits after",
        help="The step the branch splits off after (a parallel path); none for a feeder with its own start.",
        clears=True,
    )
    items: tuple[StreamItem, ...] = ()
    name: str = line("Name", title="Branch name", help='What the path is ("Purchased brackets").')


@dataclass(frozen=True, slots=True)
class Rework:
    """A rework loop: ``share`` of the items leaving step ``source`` go back to step
    ``target`` (upstream of it, or itself) and pass through the steps between again.
    """

    kind: ClassVar[str] = "rework"
    id: str
    source: str = reference("From", help="The step whose output is sent back.")
    target: str = reference("To", help="The earlier step the items go back to.")
    share: float = share(
        "Share",
        title="Share sent back",
        help="The share of the items leaving the step that go back; less than 100%.",
        clears=False,
        below=True,
    )


Element = Customer | Supplier | Control | Process | Gap | Shipment | InfoFlow | Burst | Branch | Rework


#: The figures a measured spread can belong to, per element kind.
SPREAD_FIELDS = {"process": ("cycle_time", "process_time", "lead_time"), "gap": ("wait_time",)}


@dataclass(frozen=True, slots=True)
class Spread:
    """How a figure on the map was spread when it was measured (from an event log).

    ``target`` is the id of a step or gap, ``field`` the figure (``process_time``,
    ``lead_time``, ``cycle_time`` of a step; ``wait_time`` of a gap), ``p15``,
    ``median`` and ``p85`` the 15th percentile, median and 85th percentile in seconds
    of the ``n`` measured values, and ``basis`` what they count (``"calendar time"`` or
    a working calendar). A median alone hides how much the figure varies: this is what
    a spread bar on the data box draws.
    """

    target: str
    field: str
    p15: float
    median: float
    p85: float
    n: int
    basis: str = "calendar time"


@dataclass(frozen=True, slots=True)
class MapState:
    """One immutable version of a whole map. Edits make new states; history keeps old.

    The map's own fields: its title and scope, which picture it is (``timeframe``: the
    current or the future state), what a day is (``day_basis``), and the units of its
    timeline ladder (``lead_unit`` for waits and the lead time, ``process_unit`` for step
    times and the process time: ``"auto"`` chooses from the totals, or one of ``"s"``,
    ``"min"``, ``"h"``, ``"d"``).
    """

    title: str = line(
        "Title",
        title="Map title",
        help="The product or product family the map follows.",
        required=True,
        default="Value stream",
    )
    scope: str = long_text(
        "Scope", help="What part of the stream the map covers, and the problems it addresses."
    )
    timeframe: str = choice(
        "State",
        TIMEFRAMES,
        title="Current or future state",
        help="The stream as it is (current) or as it should become (future).",
        default="current",
    )
    day_basis: str = choice(
        "Day basis",
        DAY_BASES,
        help="What a lead-time day is: a working day of the calendar, or 24 hours.",
        default="working",
    )
    customer: Customer = field(default_factory=Customer)
    supplier: Supplier | None = None
    control: Control | None = None
    stream: tuple[StreamItem, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    flows: tuple[InfoFlow, ...] = ()
    bursts: tuple[Burst, ...] = ()
    lead_unit: str = choice(
        "Ladder unit, waits",
        LADDER_UNITS,
        title="Unit of waits and the lead time",
        help="The unit the timeline's waits and the lead time read in; auto picks it from the lead time.",
        aliases=LADDER_ALIASES,
        default="auto",
    )
    process_unit: str = choice(
        "Ladder unit, steps",
        LADDER_UNITS,
        title="Unit of step times and the process time",
        help="The unit the timeline's step times and the process time read in; auto picks it from that time.",
        aliases=LADDER_ALIASES,
        default="auto",
    )
    measured: tuple[Spread, ...] = ()
    branches: tuple[Branch, ...] = ()
    reworks: tuple[Rework, ...] = ()

    def spreads(self, target: str | None = None) -> tuple[Spread, ...]:
        """The measured spreads of elements on the map (of ``target`` alone if given).

        What a data box's spread bar draws: see :class:`Spread`. Spreads of elements
        removed since they were measured are left out.
        """
        if not self.measured:
            return ()  # most maps: no set of ids to build on every document and scene
        live = {item.id for item in self.all_items}
        return tuple(s for s in self.measured if s.target in live and (target is None or s.target == target))

    @property
    def steps(self) -> tuple[Process, ...]:
        """The process boxes, in stream order."""
        return tuple(item for item in self.stream if isinstance(item, Process))

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """The gaps, in stream order."""
        return tuple(item for item in self.stream if isinstance(item, Gap))

    @property
    def by_path(self) -> tuple[tuple[str, tuple[StreamItem, ...]], ...]:
        """Each path's id and its steps and gaps: the main line (:data:`MAIN`) first,
        then every branch in the order they were added.
        """
        return ((MAIN, self.stream), *((branch.id, branch.items) for branch in self.branches))

    @property
    def all_items(self) -> tuple[StreamItem, ...]:
        """The steps and gaps of every path: the main line's, then each branch's."""
        if not self.branches:
            return self.stream
        return tuple(item for _, items in self.by_path for item in items)

    @property
    def all_steps(self) -> tuple[Process, ...]:
        """The process boxes of every path (the main line's first)."""
        return tuple(item for item in self.all_items if isinstance(item, Process))

    @property
    def all_gaps(self) -> tuple[Gap, ...]:
        """The gaps of every path (the main line's first)."""
        return tuple(item for item in self.all_items if isinstance(item, Gap))

    def path_name(self, path: str) -> str:
        """How a path is called in a sentence: "main line", a branch's name, or what the
        branch is when it has none ("feeder into Assembly", "parallel path from Order to
        Pack").
        """
        if path == MAIN:
            return "main line"
        branch = next((b for b in self.branches if b.id == path), None)
        if branch is None:
            return path
        if branch.name:
            return branch.name
        ends = {branch.into, branch.after}
        steps = {step.id: step.name for step in self.all_steps if step.id in ends}
        into = steps.get(branch.into, branch.into)
        if branch.after:
            return f"parallel path from {steps.get(branch.after, branch.after)} to {into}"
        return f"feeder into {into}"

    def path_of(self, target: str) -> str | None:
        """The id of the path a step or gap is on (:data:`MAIN` or a branch id), or None."""
        for path, items in self.by_path:
            if any(item.id == target for item in items):
                return path
        return None

    @property
    def available_time(self) -> float | None:
        """Available time per working day in seconds: shifts x (shift length - breaks)."""
        customer = self.customer
        if customer.shift_length is None:
            return None
        return customer.shifts * (customer.shift_length - customer.breaks)

    @property
    def day_length(self) -> float:
        """Seconds in one lead-time day.

        A working day is the available time per day (eight hours where the map has no
        calendar); on a calendar-day map it is 24 hours.
        """
        if self.day_basis == "calendar":
            return units.SECONDS_PER_CALENDAR_DAY
        return self.available_time or DEFAULT_WORKING_DAY

    @property
    def daily_demand(self) -> float | None:
        """Units per working day: demand per period / working days in that period."""
        customer = self.customer
        if customer.demand is None:
            return None
        days = customer.working_days
        if days is None:
            days = 1.0 if customer.period == "day" else None
        if not days:
            return None
        return customer.demand / days

    def ids(self) -> set[str]:
        """Every id in use, fixed ones included."""
        found = {"map", "customer"}
        if self.supplier is not None:
            found.add("supplier")
        if self.control is not None:
            found.add("control")
        for group in (self.all_items, self.shipments, self.flows, self.bursts, self.branches, self.reworks):
            found.update(item.id for item in group)
        return found


# --------------------------------------------------------------------------- reading the declarations

#: Each element kind and its dataclass, in the order documents and panels list them.
KINDS: dict[str, type] = {
    "map": MapState,
    "customer": Customer,
    "supplier": Supplier,
    "control": Control,
    "process": Process,
    "gap": Gap,
    "shipment": Shipment,
    "flow": InfoFlow,
    "burst": Burst,
    "branch": Branch,
    "rework": Rework,
}
#: The kinds the canvas's details panel edits (branches and loops are edited in Python).
PANEL_KINDS = tuple(kind for kind in KINDS if kind not in ("branch", "rework"))


@functools.cache
def declared(kind: str) -> tuple[Field, ...]:
    """The fields a user can set on an element of ``kind``, in their declared order."""
    found = []
    for item in dataclasses.fields(KINDS[kind]):
        spec = item.metadata.get(_SPEC)
        if spec is None:
            continue  # structure (an id, the stream), not a field a user sets
        default = None if item.default is dataclasses.MISSING else item.default
        column = item.name if spec.column == "" else spec.column
        found.append(dataclasses.replace(spec, name=item.name, default=default, column=column))
    return tuple(found)


def rows(kind: str) -> tuple[Field, ...]:
    """The fields of an element kind that have a data-box row, in the rows' order."""
    shown = [spec for spec in declared(kind) if spec.row is not None]
    return tuple(sorted(shown, key=lambda spec: spec.row.order))  # type: ignore[union-attr]


def columns(kind: str) -> tuple[str, ...]:
    """The frame columns of an element kind's fields, in declared order."""
    return tuple(spec.column for spec in declared(kind) if spec.column)


def summary_fields(kind: str) -> tuple[Field, ...]:
    """The fields a summary (the Excel workbook) lists: every value but canvas places."""
    return tuple(spec for spec in declared(kind) if spec.column and spec.kind != "coordinate")


def given(spec: Field, value: Any) -> bool:
    """Whether a value counts as given for its data-box row: not None, not empty, and not
    the default where the default is a value (one station is not worth a row).
    """
    if value is None or value == "" or value == ():
        return False
    return spec.default is None or value != spec.default


#: The element kinds whose durations may hold a distribution.
VARYING_KINDS = ("process", "gap")


def distribution_of(element: Any, name: str) -> Distribution | None:
    """The distribution the element's duration ``name`` was given as, if any (the field
    itself holds its mean).
    """
    for field_name, dist in getattr(element, "distributions", ()):
        if field_name == name:
            return dist  # type: ignore[no-any-return]
    return None


def unit_of(element: Any, name: str) -> str | None:
    """The unit the element's duration ``name`` was typed in, if it was typed in one."""
    for field_name, unit in getattr(element, "units", ()):
        if field_name == name:
            return str(unit)
    return None


# --------------------------------------------------------------------------- the details panel

# The editor each kind of value gets in the details panel (see js/editing.ts).
_PANEL_TYPES = {
    "duration": "duration",
    "share": "percent",
    "number": "number",
    "integer": "number",
    "text": "text",
    "longtext": "longtext",
    "choice": "choice",
    "waste": "waste",
    "variants": "readonly",
    "reference": "readonly",
}


@functools.cache
def _panel_fields() -> dict[str, list[dict[str, Any]]]:
    catalogue: dict[str, list[dict[str, Any]]] = {}
    for kind in PANEL_KINDS:
        listed = []
        for spec in declared(kind):
            if spec.panel == "hidden":
                continue
            entry: dict[str, Any] = {
                "name": spec.name,
                "label": spec.label,
                "title": spec.long_title,
                "help": spec.help,
                "type": "readonly" if spec.panel == "readonly" else _PANEL_TYPES[spec.kind],
            }
            if spec.kind in ("choice", "waste"):
                entry["options"] = list(spec.choices)
            if spec.kind == "choice" and spec.clears:
                entry["optional"] = True
            if spec.reads == "shift":
                entry["reads"] = "shift"
            listed.append(entry)
        catalogue[kind] = listed
    return catalogue


def panel_fields() -> dict[str, list[dict[str, Any]]]:
    """What the canvas's details panel and inline editors know of each kind's fields,
    as JSON-ready data: ``{kind: [{name, label, title, help, type, options?, optional?,
    reads?}]}``.

    ``type`` is the editor: ``text``, ``longtext``, ``duration``, ``percent``, ``number``,
    ``choice``, ``waste`` or ``readonly``. ``reads`` is ``"shift"`` for a duration never
    written in days (a shift's length and breaks), as the data box shows it. Fields the
    panel does not show (canvas places, typed units, a burst's place) are left out.
    """
    return {kind: [dict(entry) for entry in listed] for kind, listed in _panel_fields().items()}
