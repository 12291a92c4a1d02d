"""Write the small CSV files that the example notebooks read (deterministic: run it again
and the files come out byte for byte the same).

- ``brackets_steps.csv``: the Acme Stamping current state of *Learning to See* as a
  table, one row per step with the inventory before it; the last row, without a name,
  is the finished goods after the last step.
- ``cycle_time_observations.csv``: a stopwatch study, 15 timed cycles per step. Each
  step's readings are its true cycle time plus offsets that are symmetric around zero,
  so the median and the mean of every step are exactly the true time:
  Stamping 1 s, S. Weld #1 41 s, S. Weld #2 52 s, Assembly #1 58 s, Assembly #2 40 s.
- ``tickets.csv``: 40 support tickets through Triage, Build, Review and Release, with a
  start and a finish per event. Ticket ``i`` runs every stage at ``1 + 0.25 k`` times the
  base time, with ``k`` in -2..2, eight tickets each; four of the ``k = 0`` tickets are
  sent back from Review to Build once. Base times: hands-on 30 min, 6 h, 1 h, 30 min;
  waits before Build, Review, Release 24 h, 8 h, 48 h.

Run from anywhere: ``python examples/data/make_data.py``.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

BRACKETS = [
    # step, C/T, C/O, uptime, operators, inventory before the step, variants before it
    ("Stamping", "1 s", "1 h", "85%", 1, "4600", ""),
    ("S. Weld #1", "39 s", "10 min", "100%", 1, "", "LH=4600; RH=2400"),
    ("S. Weld #2", "46 s", "10 min", "80%", 1, "", "LH=1100; RH=600"),
    ("Assembly #1", "62 s", "0 s", "100%", 1, "", "LH=1600; RH=850"),
    ("Assembly #2", "40 s", "0 s", "100%", 1, "", "LH=1200; RH=640"),
]
FINISHED_GOODS = "LH=2700; RH=1440"

#: The cycle times a stopwatch finds (seconds), and how widely single readings spread.
MEASURED = {
    "Stamping": (1.0, 0.05),
    "S. Weld #1": (41.0, 1.0),
    "S. Weld #2": (52.0, 1.5),
    "Assembly #1": (58.0, 1.0),
    "Assembly #2": (40.0, 0.5),
}
# Symmetric around zero (median 0, mean 0), in a shuffled-looking but fixed order.
OFFSETS = (1, -2, 0, 3, -1, -4, 2, 0, -3, 1, 4, -2, 0, 2, -1)

STAGES = ("Triage", "Build", "Review", "Release")
HANDS_ON_HOURS = {"Triage": 0.5, "Build": 6.0, "Review": 1.0, "Release": 0.5}
WAIT_HOURS = {"Build": 24.0, "Review": 8.0, "Release": 48.0}
TICKETS = 40
REWORKED = (2, 12, 22, 32)  # four of the eight tickets with k = 0 go back from Review to Build
KINDS = ("feature", "feature", "defect", "feature", "debt", "defect", "feature", "risk")
FIRST_ARRIVAL = datetime(2026, 3, 2, 8, 0)


def _write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def brackets() -> None:
    """The current state as a table for ``ValueStreamMap.from_frame``."""
    rows: list[list[object]] = [list(row) for row in BRACKETS]
    rows.append(["", "", "", "", "", "", FINISHED_GOODS])
    _write("brackets_steps.csv", ["step", "ct", "co", "uptime", "operators", "inventory", "variants"], rows)


def observations() -> None:
    """A stopwatch study: step, when the cycle was timed, the seconds it took."""
    rows: list[list[object]] = []
    clock = datetime(2026, 3, 3, 7, 30)
    for step, (true, spread) in MEASURED.items():
        for number, offset in enumerate(OFFSETS, start=1):
            seconds = round(true + offset * spread, 2)
            rows.append([step, (clock + timedelta(minutes=3 * number)).isoformat(), seconds])
        clock += timedelta(hours=1)
    _write("cycle_time_observations.csv", ["step", "timed_at", "cycle_time_s"], rows)


def tickets() -> None:
    """A ticket history: one row per piece of work, with its start and finish."""
    rows: list[list[object]] = []
    for number in range(TICKETS):
        k = number % 5 - 2  # -2..2, eight tickets each
        factor = 1 + 0.25 * k
        path = list(STAGES)
        if number in REWORKED:
            path = ["Triage", "Build", "Review", "Build", "Review", "Release"]
        clock = FIRST_ARRIVAL + timedelta(hours=18 * number)
        for position, stage in enumerate(path):
            if position > 0:
                clock += timedelta(hours=WAIT_HOURS[stage] * factor)
            finish = clock + timedelta(hours=HANDS_ON_HOURS[stage] * factor)
            rows.append(
                [
                    f"T-{101 + number}",
                    KINDS[number % len(KINDS)],
                    stage,
                    clock.isoformat(),
                    finish.isoformat(),
                ]
            )
            clock = finish
    _write("tickets.csv", ["ticket", "kind", "stage", "started", "finished"], rows)


if __name__ == "__main__":
    brackets()
    observations()
    tickets()
