"""Frames of other engines give the same figures as pandas on the same log: Dask here,
PySpark in test_spark.py (it starts a JVM)."""

from __future__ import annotations

import pandas as pd
import pytest

from test_eventlog import COLUMNS, generated
from vsm_widget.data import eventlog as el
from vsm_widget.data.eventlog import EventLog

dd = pytest.importorskip("dask.dataframe")


def test_dask_frames_give_the_same_figures_as_pandas() -> None:
    frame, _ = generated(cases=80, seed=4)
    expected = EventLog(frame, **COLUMNS, item_type="kind")
    lazy = dd.from_pandas(frame, npartitions=3)
    log = EventLog(lazy, **COLUMNS, item_type="kind")
    pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
    pd.testing.assert_frame_equal(log.flow_times(), expected.flow_times())
    pd.testing.assert_series_equal(log.flow_metrics(), expected.flow_metrics())


def test_dask_status_history_with_a_calendar() -> None:
    frame = pd.DataFrame(
        {
            "key": ["A", "A", "A", "B", "B"],
            "status": ["Open", "Doing", "Done", "Open", "Done"],
            "at": pd.to_datetime(
                [
                    "2024-03-04 09:00",
                    "2024-03-04 13:00",
                    "2024-03-05 11:00",
                    "2024-03-04 10:00",
                    "2024-03-04 12:00",
                ]
            ),
        }
    )
    options = {"case": "key", "activity": "status", "timestamp": "at", "timestamp_marks": "start"}
    log = EventLog(dd.from_pandas(frame, npartitions=2), **options, calendar={"hours": "09:00-17:00"})
    # Doing: Monday 13:00-17:00 and Tuesday 09:00-11:00 = 6 working hours.
    assert log.stage_stats().loc["Doing", "hands_on_median"] == 6 * 3600


@pytest.mark.parametrize("stages", [20, 70])
def test_duckdb_with_many_stages(stages: int) -> None:
    duckdb = pytest.importorskip("duckdb")
    # Paths longer than one packed word holds (9 stages); 70 stages are more than the
    # 64 of the one-bit-per-stage bookkeeping. Every item comes back to its first stage.
    rows = []
    for case in range(30):
        path = [f"S{(case * 7 + k) % stages:02d}" for k in range(12)] + [f"S{(case * 7) % stages:02d}"]
        for k, stage in enumerate(path):
            rows.append((f"C{case}", stage, 100 * k + case, 100 * k + case + 10 + k))
    frame = pd.DataFrame(rows, columns=["ticket", "stage", "s", "e"]).assign(
        started=lambda f: pd.Timestamp("2025-01-01") + pd.to_timedelta(f["s"], unit="s"),
        finished=lambda f: pd.Timestamp("2025-01-01") + pd.to_timedelta(f["e"], unit="s"),
    )
    expected = EventLog(frame, **COLUMNS)
    log = EventLog(duckdb.connect().from_df(frame), **COLUMNS)
    pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
    assert log.stage_stats()["rework"].sum() == 30


def test_duckdb_quantiles_by_sort_when_memory_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    duckdb = pytest.importorskip("duckdb")
    # With too little memory for quantile_cont (which holds a stage's values), the
    # quantiles come from a sort DuckDB can spill, picked at the ranks they need.
    monkeypatch.setattr(el, "_duckdb_memory_limit", lambda query: 1.0)
    for seed, cases in ((12, 300), (13, 7), (14, 1)):
        frame, _ = generated(cases=cases, seed=seed)
        expected = EventLog(frame, **COLUMNS)
        log = EventLog(duckdb.connect().from_df(frame), **COLUMNS)
        pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
        single = EventLog(
            duckdb.connect().from_df(frame), case="ticket", activity="stage", timestamp="finished"
        )
        pd.testing.assert_frame_equal(
            single.stage_stats(),
            EventLog(frame, case="ticket", activity="stage", timestamp="finished").stage_stats(),
        )


def test_duckdb_memory_limit_is_read_in_bytes() -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("SET memory_limit = '2GB'")
    relation = con.sql("SELECT 1 AS x")
    limit = el._duckdb_memory_limit(lambda sql: relation.query("events", sql))
    # DuckDB reports 2 GB as '1.8 GiB' (one decimal of gibibytes).
    assert limit == pytest.approx(2e9, rel=0.05)
