"""The README's Python examples run as written, in order, in one namespace (as a reader
pastes them into one notebook), and say what their comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from vsm_widget.core.errors import ValidationError

ROOT = Path(__file__).resolve().parents[1]


def _blocks() -> dict[str, list[str]]:
    """The README's ```python blocks, by the heading they stand under."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    heading = ""
    for part in re.split(r"(^## [^\n]*$|^```python\n.*?^```$)", text, flags=re.M | re.S):
        if part.startswith("## "):
            heading = part[3:].strip()
        elif part.startswith("```python"):
            found.setdefault(heading, []).append(part.split("\n", 1)[1].rsplit("```", 1)[0])
    return found


def test_the_readme_examples_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("bqplot")
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    space: dict[str, object] = {}
    tour, refused, files = blocks["A short tour"]
    exec(tour, space)
    met = space["met"]
    assert met.takt_time == 60.0  # type: ignore[attr-defined]
    assert met.bottleneck_name == "Spot weld"  # type: ignore[attr-defined]
    # The refused edit raises what its comment shows, and the map is as it was.
    before = space["m"].state  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as error:
        exec(refused, space)
    assert str(error.value) == refused.split("# ValidationError: ", 1)[1].strip()
    assert space["m"].state is before  # type: ignore[attr-defined]
    exec(files, space)
    assert (tmp_path / "brackets.vsm.json").exists()
    # Read back from its frame with its calendar, the map has the same figures.
    assert space["m3"].metrics().lead_time == pytest.approx(met.lead_time)  # type: ignore[attr-defined]
    assert space["m3"].metrics().takt_time == 60.0  # type: ignore[attr-defined]
    (canvas,) = blocks["On the canvas"]
    exec(canvas, space)
    (future,) = blocks["Will the future state hold?"]
    tour_map = space["m"]
    exec(future, space)
    assert 0.0 <= space["r"].within("3 d").value <= 1.0  # type: ignore[attr-defined]
    (branches,) = blocks["Streams that branch, merge and loop back"]
    exec(branches, space)
    assert space["m"] is not tour_map
    assert len(space["m"].paths()) == 3  # type: ignore[attr-defined]
    # From data: an event log of two tickets through two stages stands in for the reader's.
    space["log"] = pd.DataFrame(
        {
            "ticket": ["T1", "T1", "T2", "T2"],
            "stage": ["Build", "Test", "Build", "Test"],
            "started": pd.to_datetime(
                ["2026-01-05 09:00", "2026-01-05 11:00", "2026-01-05 10:00", "2026-01-06 09:00"]
            ),
            "finished": pd.to_datetime(
                ["2026-01-05 10:00", "2026-01-05 12:00", "2026-01-05 12:00", "2026-01-06 10:00"]
            ),
        }
    )
    (data,) = blocks["From data"]
    exec(data, space)
    assert (tmp_path / "map.svg").exists()
    assert (tmp_path / "summary.xlsx").exists()
