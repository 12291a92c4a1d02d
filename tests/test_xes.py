"""XES files written here, read back and paired into visits."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

import vsm_widget
from vsm_widget import ValidationError
from vsm_widget.data.eventlog import EventLog

XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <string key="concept:name" value="loans"/>
  <trace>
    <string key="concept:name" value="L1"/>
    <float key="AMOUNT_REQ" value="5000.0"/>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2024-03-04T09:00:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="complete"/>
      <string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2024-03-04T09:30:00.000+01:00"/>
      <int key="pages" value="3"/>
      <list key="notes"><string key="n" value="nested: skipped"/></list>
    </event>
    <event>
      <string key="concept:name" value="Approve"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="org:resource" value="bob"/>
      <date key="time:timestamp" value="2024-03-04T10:00:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="org:resource" value="ann"/>
      <date key="time:timestamp" value="2024-03-04T10:15:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-04T10:45:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Approve"/>
      <string key="lifecycle:transition" value="complete"/>
      <string key="org:resource" value="bob"/>
      <date key="time:timestamp" value="2024-03-04T11:00:00.000+01:00"/>
      <boolean key="accepted" value="true"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="L2"/>
    <event>
      <string key="concept:name" value="Check"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2024-03-04T08:00:00.000Z"/>
    </event>
    <event>
      <string key="concept:name" value="Approve"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2024-03-04T12:00:00.000Z"/>
    </event>
  </trace>
</log>
"""


@pytest.fixture(params=["plain", "gzipped"])
def xes_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "plain":
        path = tmp_path / "loans.xes"
        path.write_text(XES, encoding="utf-8")
    else:
        path = tmp_path / "loans.xes.gz"
        path.write_bytes(gzip.compress(XES.encode("utf-8")))
    return path


def test_read_xes_gives_one_row_per_event_with_the_xes_keys(xes_file: Path) -> None:
    df = vsm_widget.read_xes(xes_file)
    assert len(df) == 8
    assert list(df.columns[:2]) == ["case:concept:name", "case:AMOUNT_REQ"]
    assert {"concept:name", "time:timestamp", "lifecycle:transition", "org:resource"} <= set(df.columns)
    assert df["case:concept:name"].tolist() == ["L1"] * 6 + ["L2"] * 2
    assert str(df["time:timestamp"].dt.tz) == "UTC"
    assert df["time:timestamp"].iloc[0] == pd.Timestamp("2024-03-04 08:00", tz="UTC")
    assert df["case:AMOUNT_REQ"].iloc[0] == 5000.0
    assert pd.isna(df["case:AMOUNT_REQ"].iloc[-1])
    assert df["pages"].dtype == "Int64"
    assert df["pages"].iloc[1] == 3
    assert df["accepted"].iloc[5] is True
    assert "notes" not in df.columns
    assert "n" not in df.columns


def test_xes_lifecycle_pairs_overlaps_and_missing_completes(xes_file: Path) -> None:
    df = vsm_widget.read_xes(xes_file)
    log = EventLog(
        df,
        case="case:concept:name",
        activity="concept:name",
        timestamp="time:timestamp",
        lifecycle="lifecycle:transition",
    )
    stats = log.stage_stats()
    # L1 Check 30 min and 30 min; L2's Check never completes.
    assert stats.loc["Check", "visits"] == 2
    assert stats.loc["Check", "hands_on_median"] == 1800
    # L1 Approve 10:00-11:00 overlaps its second Check; L2 Approve completes with no start.
    assert stats.loc["Approve", "visits"] == 2
    assert stats.loc["Approve", "hands_on_mean"] == (3600 + 0) / 2
    report = dict(zip(log.report()["issue"], log.report()["count"], strict=True))
    assert report["events starting before earlier work of the item ended"] == 1
    assert report["starts without a complete"] == 1
    assert report["completes without a start"] == 1


def test_not_xes_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xes"
    broken.write_text("<log><trace>", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable XES file"):
        vsm_widget.read_xes(broken)
    other = tmp_path / "other.xml"
    other.write_text("<html/>", encoding="utf-8")
    with pytest.raises(ValidationError, match="no <log> element"):
        vsm_widget.read_xes(other)
    with pytest.raises(ValidationError, match="no such file"):
        vsm_widget.read_xes(tmp_path / "missing.xes")


def test_progress_is_told_every_phase(xes_file: Path) -> None:
    seen: list[str] = []
    vsm_widget.read_xes(xes_file, progress=lambda phase, seconds: seen.append(phase))
    assert seen == ["typing the attributes", "done"]  # 8 events: no count every 10,000
    phases: list[str] = []
    df = vsm_widget.read_xes(xes_file)
    EventLog(
        df,
        case="case:concept:name",
        activity="concept:name",
        timestamp="time:timestamp",
        lifecycle="lifecycle:transition",
        progress=lambda phase, seconds: phases.append(phase),
    )
    assert phases[:4] == [
        "reading the columns",
        "numbering cases and stages",
        "reading the times",
        "pairing starts and completes",
    ]
    assert phases[-1] == "done"
    assert "stage statistics" in phases
