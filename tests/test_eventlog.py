"""Event logs to value streams: statistics recovered from logs with known true durations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.data.eventlog import EventLog, from_event_log

STAGES = ["Intake", "Build", "Review", "Ship"]
BASE = pd.Timestamp("2025-03-03 08:00:00")
COLUMNS = {"case": "ticket", "activity": "stage", "start": "started", "end": "finished"}


def generated(cases: int = 60, seed: int = 1) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Every item passes the stages in order; true hands-on and wait seconds are returned."""
    rng = np.random.default_rng(seed)
    k = len(STAGES)
    hands = rng.integers(60, 4000, (cases, k))
    waits = rng.integers(0, 9000, (cases, k))
    waits[:, 0] = 0
    arrival = rng.integers(0, 30 * 86400, cases)
    ends = arrival[:, None] + np.cumsum(waits + hands, axis=1)
    starts = ends - hands
    frame = pd.DataFrame(
        {
            "ticket": np.repeat([f"T-{i:04d}" for i in range(cases)], k),
            "stage": np.tile(STAGES, cases),
            "started": BASE + pd.to_timedelta(starts.ravel(), unit="s"),
            "finished": BASE + pd.to_timedelta(ends.ravel(), unit="s"),
            "kind": np.repeat(np.where(np.arange(cases) % 3 == 0, "defect", "feature"), k),
        }
    )
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    truth = {"hands": hands, "waits": waits, "flow": ends[:, -1] - starts[:, 0]}
    return frame, truth


def events(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """A log from (ticket, stage, start second, end second) rows."""
    return pd.DataFrame(
        {
            "ticket": [r[0] for r in rows],
            "stage": [r[1] for r in rows],
            "started": [BASE + pd.Timedelta(seconds=r[2]) for r in rows],
            "finished": [BASE + pd.Timedelta(seconds=r[3]) for r in rows],
        }
    )


# --------------------------------------------------------------------------- known true durations


def test_stage_statistics_recover_the_true_durations() -> None:
    frame, truth = generated()
    stats = EventLog(frame, **COLUMNS).stage_stats()
    assert list(stats.index) == STAGES
    for i, stage in enumerate(STAGES):
        row = stats.loc[stage]
        hands = truth["hands"][:, i]
        assert row["items"] == row["visits"] == len(hands)
        assert row["hands_on_median"] == pytest.approx(np.median(hands), rel=1e-12)
        assert row["hands_on_mean"] == pytest.approx(hands.mean(), rel=1e-12)
        assert row["hands_on_p85"] == pytest.approx(np.percentile(hands, 85), rel=1e-12)
        if i == 0:
            assert np.isnan(row["wait_median"])  # nothing happened before an item's first stage
        else:
            waits = truth["waits"][:, i]
            assert row["wait_median"] == pytest.approx(np.median(waits), rel=1e-12)
            assert row["wait_mean"] == pytest.approx(waits.mean(), rel=1e-12)
            assert row["wait_p85"] == pytest.approx(np.percentile(waits, 85), rel=1e-12)
            assert row["lead_median"] == pytest.approx(np.median(waits + hands), rel=1e-12)
    assert (stats["rework"] == 0).all()
    assert (stats["skipped"] == 0).all()
    assert (stats["complete_accurate"] == 1).all()


def test_hand_worked_example() -> None:
    # Two items: Intake 0-10 s, wait 5, Build 15-45, wait 10, Test 55-60 (then 100 s later again).
    rows = []
    for ticket, offset in (("A", 0), ("B", 100)):
        rows += [
            (ticket, "Intake", offset, offset + 10),
            (ticket, "Build", offset + 15, offset + 45),
            (ticket, "Test", offset + 55, offset + 60),
        ]
    log = EventLog(events(rows[::-1]), **COLUMNS)
    stats = log.stage_stats()
    assert stats["hands_on_median"].tolist() == [10.0, 30.0, 5.0]
    assert stats["wait_median"].tolist()[1:] == [5.0, 10.0]
    flow = log.flow_times().set_index("case")
    assert flow.loc["A", "flow_time"] == 60.0
    assert flow.loc["A", "active_time"] == 45.0
    assert flow.loc["A", "efficiency"] == pytest.approx(0.75)
    metrics = log.flow_metrics()
    assert metrics["flow_efficiency"] == pytest.approx(90 / 120)
    assert log.report().empty


def test_one_timestamp_per_event_measures_time_between_ends() -> None:
    frame, truth = generated(seed=2)
    log = EventLog(frame.drop(columns="started"), case="ticket", activity="stage", timestamp="finished")
    stats = log.stage_stats()
    assert not log.has_start
    assert stats["hands_on_median"].isna().all()
    for i, stage in enumerate(STAGES[1:], start=1):
        elapsed = truth["waits"][:, i] + truth["hands"][:, i]
        assert stats.loc[stage, "lead_median"] == pytest.approx(np.median(elapsed), rel=1e-12)
        assert stats.loc[stage, "lead_mean"] == pytest.approx(elapsed.mean(), rel=1e-12)
    flow = log.flow_times()["flow_time"].to_numpy()
    first_hands = truth["hands"][:, 0]
    assert np.median(flow) == pytest.approx(np.median(truth["flow"] - first_hands))
    # end= alone means the same as timestamp=
    same = EventLog(frame.drop(columns="started"), case="ticket", activity="stage", end="finished")
    pd.testing.assert_frame_equal(same.stage_stats(), stats)


def test_flow_metrics_from_true_flow_times() -> None:
    frame, truth = generated(seed=3)
    log = EventLog(frame, **COLUMNS)
    metrics = log.flow_metrics()
    assert metrics["items"] == 60
    assert metrics["flow_time_median"] == pytest.approx(np.median(truth["flow"]))
    assert metrics["flow_time_p85"] == pytest.approx(np.percentile(truth["flow"], 85))
    assert metrics["flow_efficiency"] == pytest.approx(truth["hands"].sum() / truth["flow"].sum())
    assert metrics["rework_share"] == 0


def test_row_order_does_not_matter() -> None:
    frame, _ = generated(seed=4)
    one = EventLog(frame, **COLUMNS).stage_stats()
    other = EventLog(frame.iloc[::-1].reset_index(drop=True), **COLUMNS).stage_stats()
    pd.testing.assert_frame_equal(one, other)


def test_nanosecond_times_over_years_take_the_general_sort() -> None:
    rows = [("A", "x", 0, 5), ("A", "y", 9, 20), ("B", "x", 0, 7), ("B", "y", 8, 10)]
    frame = events(rows)
    for column in ("started", "finished"):
        frame[column] = frame[column].astype("datetime64[ns]")
    shift = pd.Timedelta(days=900) + pd.Timedelta(nanoseconds=3)
    frame.loc[frame["ticket"] == "B", ["started", "finished"]] += shift
    stats = EventLog(frame, **COLUMNS).stage_stats()
    assert stats.loc["x", "hands_on_median"] == pytest.approx(6.0)
    assert stats.loc["y", "wait_median"] == pytest.approx(2.5)


# --------------------------------------------------------------------------- order, rework, skips


def test_order_is_the_most_common_path() -> None:
    rows = []
    for i in range(5):
        rows += [(f"a{i}", "Intake", 0, 1), (f"a{i}", "Build", 2, 3), (f"a{i}", "Ship", 4, 5)]
    rows += [("b", "Build", 0, 1), ("b", "Intake", 2, 3), ("b", "Ship", 4, 5)]
    rows += [("c", "Intake", 0, 1), ("c", "Test", 2, 3), ("c", "Ship", 4, 5)]
    log = EventLog(events(rows), **COLUMNS)
    # Test is off the main path; its mean rank (1) places it after Build (rank 1.0 too) and before Ship.
    assert log.order == ["Intake", "Build", "Test", "Ship"]
    stats = log.stage_stats()
    assert stats.loc["Build", "skipped"] == 1  # c reached Ship without Build
    assert stats.loc["Test", "skipped"] == 6
    assert stats.loc["Build", "sent_back"] == 1  # b went from Build back to Intake


def test_given_order_is_kept_and_checked() -> None:
    frame, _ = generated(cases=5)
    order = ["Ship", "Review", "Build", "Intake"]
    assert EventLog(frame, **COLUMNS, order=order).order == order
    with pytest.raises(ValidationError, match="did you mean 'Review'") as info:
        EventLog(frame, **COLUMNS, order=["Intake", "Build", "Reveiw", "Ship"])
    assert info.value.field == "order"
    with pytest.raises(ValidationError, match=r"not in order: \['Ship'\]"):
        EventLog(frame, **COLUMNS, order=["Intake", "Build", "Review"])


def test_rework_loops_are_counted() -> None:
    rows = [
        ("A", "Build", 0, 10),
        ("A", "Test", 12, 15),
        ("A", "Build", 20, 26),  # sent back: Build again
        ("A", "Test", 30, 32),
        ("A", "Build", 40, 44),  # and once more
        ("A", "Test", 50, 51),
        ("B", "Build", 0, 8),
        ("B", "Test", 10, 11),
    ]
    log = EventLog(events(rows), **COLUMNS, order=["Build", "Test"])
    stats = log.stage_stats()
    assert stats.loc["Build", "visits"] == 4
    assert stats.loc["Build", "items"] == 2
    assert stats.loc["Build", "rework"] == 2
    assert stats.loc["Build", "rework_items"] == 1
    assert stats.loc["Test", "sent_back"] == 2
    assert stats.loc["Test", "complete_accurate"] == pytest.approx(1 - 2 / 4)
    assert stats.loc["Build", "hands_on_median"] == pytest.approx(np.median([10, 6, 4, 8]))
    # Build again at 20 after Test ended at 15, and at 40 after Test ended at 32.
    assert stats.loc["Build", "wait_median"] == pytest.approx(np.median([5, 8]))
    flow = log.flow_times().set_index("case")
    assert flow.loc["A", "rework"] == 4
    assert log.flow_metrics()["rework_share"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- WIP, throughput, types


def test_wip_and_throughput_on_a_hand_example() -> None:
    day = 86400
    rows = [
        ("A", "x", 0, day // 2),
        ("A", "y", day // 2, 2 * day + 10),  # A: day 0 to day 2
        ("B", "x", day + 5, day + 60),
        ("B", "y", day + 70, day + 80),  # B: within day 1
        ("C", "x", 3 * day, 3 * day + 1),
        ("C", "y", 3 * day + 2, 3 * day + 3),
    ]
    log = EventLog(events(rows), **COLUMNS)
    wip = log.wip("D")
    # Sampled at midnight: day 1 has A in progress (B not started yet), day 2 has A
    # (ends at 08:00:10 on day 2 since the log starts at 08:00), day 3 nothing.
    assert wip["wip"].tolist() == [0, 1, 1, 0]
    throughput = log.throughput("D")
    # Periods from the first finish on: B on day 1, A on day 2, C on day 3.
    assert throughput.index[0] == pd.Timestamp("2025-03-04")
    assert throughput["items"].tolist() == [1, 1, 1]


def test_distribution_by_item_type() -> None:
    frame, truth = generated(seed=5)
    log = EventLog(frame, **COLUMNS, item_type="kind")
    dist = log.distribution()
    defects = np.arange(60) % 3 == 0
    assert dist.loc["defect", "items"] == defects.sum()
    assert dist.loc["feature", "share"] == pytest.approx(40 / 60)
    assert dist.loc["defect", "flow_time_median"] == pytest.approx(np.median(truth["flow"][defects]))
    assert set(log.throughput("W").columns) == {"items", "defect", "feature"}
    assert (log.wip("D")[["defect", "feature"]].sum(axis=1) == log.wip("D")["wip"]).all()
    defect_hands = truth["hands"][defects].sum()
    assert dist.loc["defect", "flow_efficiency"] == pytest.approx(defect_hands / truth["flow"][defects].sum())
    single = EventLog(frame, case="ticket", activity="stage", timestamp="finished", item_type="kind")
    assert single.distribution()["flow_efficiency"].isna().all()
    with pytest.raises(ValidationError, match="item_type"):
        EventLog(frame, **COLUMNS).distribution()


# --------------------------------------------------------------------------- the map


def test_map_carries_the_medians() -> None:
    frame, truth = generated(seed=6)
    m = ValueStreamMap.from_event_log(frame, **COLUMNS, title="Tickets")
    assert [s.name for s in m.steps] == STAGES
    assert [s.process_time for s in m.steps] == pytest.approx(list(np.median(truth["hands"], axis=0)))
    assert [g.wait_time for g in m.gaps] == pytest.approx(list(np.median(truth["waits"][:, 1:], axis=0)))
    assert [type(item).__name__ for item in m.stream] == ["Process", "Gap"] * 3 + ["Process"]
    assert not m.can_undo
    met = m.metrics()
    expected = np.median(truth["hands"], axis=0).sum() + np.median(truth["waits"][:, 1:], axis=0).sum()
    assert met.lead_time == pytest.approx(expected)


def test_map_with_another_statistic_and_one_timestamp() -> None:
    frame, truth = generated(seed=7)
    m = from_event_log(frame, **COLUMNS, statistic="p85")
    assert m.steps[1].process_time == pytest.approx(np.percentile(truth["hands"][:, 1], 85))
    single = from_event_log(frame, case="ticket", activity="stage", timestamp="finished")
    assert single.gaps == ()
    elapsed = truth["waits"][:, 2] + truth["hands"][:, 2]
    assert single.steps[2].lead_time == pytest.approx(np.median(elapsed))
    with pytest.raises(ValidationError, match="statistic"):
        from_event_log(frame, **COLUMNS, statistic="mode")


# --------------------------------------------------------------------------- other frames


def test_polars_and_pyarrow_frames_give_the_same_figures() -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("narwhals")
    frame, _ = generated(seed=8)
    expected = EventLog(frame, **COLUMNS).stage_stats()
    for other in (pl.from_pandas(frame), pa.Table.from_pandas(frame), pl.from_pandas(frame).lazy()):
        pd.testing.assert_frame_equal(EventLog(other, **COLUMNS).stage_stats(), expected)


def test_duckdb_relation_is_reduced_in_duckdb() -> None:
    duckdb = pytest.importorskip("duckdb")
    frame, _ = generated(seed=9)
    rows = [("Z", "Intake", 0, 5), ("Z", "Build", 3, 9), ("Z", "Build", 3, 9)]  # overlap + duplicate
    frame = pd.concat([frame, events(rows).assign(kind="feature")], ignore_index=True)
    expected = EventLog(frame, **COLUMNS, item_type="kind")
    relation = duckdb.connect().from_df(frame)
    log = EventLog(relation, **COLUMNS, item_type="kind")
    pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
    ours = log.flow_times().sort_values("case").reset_index(drop=True)
    theirs = expected.flow_times().sort_values("case").reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs)
    assert log.report()["issue"].tolist() == [
        "duplicate events",
        "events starting before earlier work of the item ended",
    ]
    assert log.report()["count"].tolist() == expected.report()["count"].tolist()
    with pytest.raises(ValidationError, match="no column 'stag'"):
        EventLog(relation, case="ticket", activity="stag", end="finished")


def test_duckdb_text_timestamps_are_checked() -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    mixed = con.sql(
        "SELECT * FROM (VALUES ('A', 'x', '2025-01-01 10:00:00'), ('A', 'y', '2025-01-01 11:00:00+01:00')) "
        "t(ticket, stage, finished)"
    )
    with pytest.raises(ValidationError, match="mixes naive"):
        EventLog(mixed, case="ticket", activity="stage", timestamp="finished")
    bad = con.sql(
        "SELECT * FROM (VALUES ('A', 'x', '2025-01-01'), ('A', 'y', 'soon')) t(ticket, stage, finished)"
    )
    with pytest.raises(ValidationError, match="'soon'"):
        EventLog(bad, case="ticket", activity="stage", timestamp="finished")


# --------------------------------------------------------------------------- bad data


def test_missing_column_names_the_option_and_suggests() -> None:
    frame, _ = generated(cases=3)
    with pytest.raises(ValidationError, match="did you mean 'finished'") as info:
        EventLog(frame, case="ticket", activity="stage", start="started", end="finishd")
    assert info.value.field == "end"


def test_unparseable_timestamps_are_refused() -> None:
    frame = events([("A", "x", 0, 5), ("A", "y", 6, 9)])
    frame["finished"] = ["2025-01-01 10:00", "next tuesday"]
    frame["started"] = ["2025-01-01 09:00", "2025-01-01 09:30"]
    with pytest.raises(ValidationError, match="'next tuesday'") as info:
        EventLog(frame, **COLUMNS)
    assert info.value.field == "end"


def test_text_timestamps_are_parsed_and_aware_ones_go_to_utc() -> None:
    frame = pd.DataFrame(
        {
            "ticket": ["A", "A"],
            "stage": ["x", "y"],
            "started": ["2025-01-01T10:00:00+02:00", "2025-01-01T08:30:00Z"],
            "finished": ["2025-01-01T08:10:00Z", "2025-01-01T10:40:00+01:00"],
        }
    )
    log = EventLog(frame, **COLUMNS)
    stats = log.stage_stats()
    assert stats.loc["x", "hands_on_median"] == 600.0
    assert stats.loc["y", "wait_median"] == 20 * 60.0
    assert str(log.flow_times()["start"].dt.tz) == "UTC"


def test_naive_and_aware_times_mixed_are_refused() -> None:
    frame = pd.DataFrame(
        {
            "ticket": ["A", "A"],
            "stage": ["x", "y"],
            "finished": ["2025-01-01 10:00", "2025-01-01 11:00+01:00"],
        }
    )
    with pytest.raises(ValidationError, match="mixes naive"):
        EventLog(frame, case="ticket", activity="stage", timestamp="finished")
    objects = pd.DataFrame(
        {
            "ticket": ["A", "A"],
            "stage": ["x", "y"],
            "finished": [dt.datetime(2025, 1, 1, 10), dt.datetime(2025, 1, 1, 11, tzinfo=dt.timezone.utc)],
        },
        dtype=object,
    )
    with pytest.raises(ValidationError, match="mixes naive"):
        EventLog(objects, case="ticket", activity="stage", timestamp="finished")
    columns = events([("A", "x", 0, 5)])
    columns["finished"] = columns["finished"].dt.tz_localize("UTC")
    with pytest.raises(ValidationError, match="naive") as info:
        EventLog(columns, **COLUMNS)
    assert info.value.field == "start"


def test_numbers_are_not_timestamps() -> None:
    frame = pd.DataFrame({"ticket": ["A"], "stage": ["x"], "finished": [1700000000]})
    with pytest.raises(ValidationError, match=r"pandas\.to_datetime"):
        EventLog(frame, case="ticket", activity="stage", timestamp="finished")


def test_end_before_start_is_refused() -> None:
    frame = events([("A", "x", 0, 5), ("B", "x", 10, 4)])
    with pytest.raises(ValidationError, match=r"1 event\(s\) end before they start \(cases \['B'\]\)"):
        EventLog(frame, **COLUMNS)


def test_duplicates_are_dropped_and_reported_or_refused() -> None:
    rows = [("A", "x", 0, 5), ("A", "y", 6, 9), ("A", "y", 6, 9), ("B", "x", 0, 3), ("B", "y", 4, 8)]
    log = EventLog(events(rows), **COLUMNS)
    report = log.report().set_index("issue")
    assert report.loc["duplicate events", "count"] == 1
    assert report.loc["duplicate events", "examples"] == ["A"]
    assert log.stage_stats().loc["y", "visits"] == 2
    assert log.stage_stats().loc["y", "rework"] == 0
    with pytest.raises(ValidationError, match="repeat another") as info:
        EventLog(events(rows), **COLUMNS, duplicates="raise")
    assert info.value.field == "duplicates"


def test_single_event_items_are_reported() -> None:
    rows = [("A", "x", 0, 5), ("A", "y", 6, 9), ("B", "x", 0, 3)]
    log = EventLog(events(rows), **COLUMNS)
    report = log.report().set_index("issue")
    assert report.loc["items with one event", "count"] == 1
    assert report.loc["items with one event", "examples"] == ["B"]
    assert log.flow_times().set_index("case").loc["B", "flow_time"] == 3.0
    single = EventLog(events(rows).drop(columns="started"), case="ticket", activity="stage", end="finished")
    assert np.isnan(single.flow_times().set_index("case").loc["B", "flow_time"])
    assert single.flow_metrics()["flow_time_median"] == 4.0  # A: first end 5 to last end 9


def test_overlapping_work_waits_zero_and_counts_once() -> None:
    rows = [("A", "x", 0, 10), ("A", "y", 2, 4), ("A", "z", 5, 8), ("A", "w", 12, 13)]
    log = EventLog(events(rows), **COLUMNS, order=["x", "y", "z", "w"])
    stats = log.stage_stats()
    assert stats.loc["z", "wait_median"] == 0  # x still runs until 10
    assert stats.loc["w", "wait_median"] == 2  # from the latest end (10), not z's end (8)
    assert log.flow_times().loc[0, "active_time"] == 11.0
    assert log.report().loc[0, "count"] == 2


def test_empty_and_missing_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="no events"):
        EventLog(events([]), **COLUMNS)
    frame = events([("A", "x", 0, 5), ("A", "y", 6, 9)])
    frame.loc[1, "ticket"] = None
    with pytest.raises(ValidationError, match="no case id") as info:
        EventLog(frame, **COLUMNS)
    assert info.value.field == "case"
    frame = events([("A", "x", 0, 5), ("A", "y", 6, 9)])
    frame.loc[0, "started"] = pd.NaT
    with pytest.raises(ValidationError, match="no start time"):
        EventLog(frame, **COLUMNS)


def test_option_mistakes_are_named() -> None:
    frame = events([("A", "x", 0, 5)])
    with pytest.raises(ValidationError, match="timestamp"):
        EventLog(frame, case="ticket", activity="stage", start="started", timestamp="finished")
    with pytest.raises(ValidationError, match="end time") as info:
        EventLog(frame, case="ticket", activity="stage", start="started")
    assert info.value.field == "end"
    with pytest.raises(ValidationError, match="duplicates"):
        EventLog(frame, **COLUMNS, duplicates="keep")
    with pytest.raises(ValidationError, match="named twice"):
        EventLog(frame, **COLUMNS, order=["x", "x"])
    with pytest.raises(ValidationError, match="freq"):
        EventLog(frame, **COLUMNS).wip("fortnightly")


# --------------------------------------------------------------------------- against a plain reference


def _reference(rows: list[tuple[str, str, int, int]]) -> dict[str, dict[str, list[float]]]:
    """Per stage, every hands-on time and every wait, by walking each case in time order."""
    found: dict[str, dict[str, list[float]]] = {}
    for ticket in sorted({r[0] for r in rows}):
        mine = sorted((r for r in rows if r[0] == ticket), key=lambda r: (r[2], r[3], r[1]))
        latest_end = None
        for _, stage, start, end in mine:
            entry = found.setdefault(stage, {"hands": [], "waits": []})
            entry["hands"].append(end - start)
            if latest_end is not None:
                entry["waits"].append(max(start - latest_end, 0))
            latest_end = end if latest_end is None else max(latest_end, end)
    return found


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["x", "y", "z"]),
            st.integers(0, 50),
            st.integers(0, 20),
        ),
        min_size=1,
        max_size=25,
        unique_by=lambda r: (r[0], r[1], r[2], r[3]),
    )
)
def test_matches_a_plain_reference(raw: list[tuple[str, str, int, int]]) -> None:
    rows = [(ticket, stage, start, start + length) for ticket, stage, start, length in raw]
    stats = EventLog(events(rows), **COLUMNS).stage_stats()
    for stage, expected in _reference(rows).items():
        assert stats.loc[stage, "hands_on_median"] == pytest.approx(np.median(expected["hands"]))
        assert stats.loc[stage, "hands_on_mean"] == pytest.approx(np.mean(expected["hands"]))
        assert stats.loc[stage, "hands_on_p85"] == pytest.approx(np.percentile(expected["hands"], 85))
        if expected["waits"]:
            assert stats.loc[stage, "wait_median"] == pytest.approx(np.median(expected["waits"]))
        else:
            assert np.isnan(stats.loc[stage, "wait_median"])


_RAW_LOGS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["x", "y", "z"]),
        st.integers(0, 30),
        st.integers(0, 10),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=25, deadline=None)
@given(_RAW_LOGS)
def test_duckdb_and_pandas_agree_on_any_log(raw: list[tuple[str, str, int, int]]) -> None:
    duckdb = pytest.importorskip("duckdb")
    rows = [(ticket, stage, start, start + length) for ticket, stage, start, length in raw]
    frame = events(rows)
    order = sorted({r[1] for r in rows})
    expected = EventLog(frame, **COLUMNS, order=order)
    log = EventLog(duckdb.connect().from_df(frame), **COLUMNS, order=order)
    pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
    ours = log.flow_times().sort_values("case").reset_index(drop=True)
    theirs = expected.flow_times().sort_values("case").reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs)
    assert log.report()["count"].tolist() == expected.report()["count"].tolist()
    ends = frame.drop(columns="started")
    one = {"case": "ticket", "activity": "stage", "timestamp": "finished", "order": order}
    single = EventLog(duckdb.connect().from_df(ends), **one).stage_stats()
    pd.testing.assert_frame_equal(single, EventLog(ends, **one).stage_stats())


def test_a_log_sorted_by_case_and_time_gives_the_same_figures() -> None:
    frame, truth = generated(seed=10)
    ordered = frame.sort_values(["ticket", "started"]).reset_index(drop=True)
    stats = EventLog(ordered, **COLUMNS).stage_stats()
    pd.testing.assert_frame_equal(stats, EventLog(frame, **COLUMNS).stage_stats())
    assert stats["hands_on_median"].tolist() == pytest.approx(list(np.median(truth["hands"], axis=0)))


def test_categorical_columns_with_unused_categories() -> None:
    frame, truth = generated(seed=11)
    expected = EventLog(frame, **COLUMNS).stage_stats()
    categorical = frame.assign(
        ticket=pd.Categorical(frame["ticket"], categories=[*sorted(set(frame["ticket"])), "T-unused"]),
        stage=pd.Categorical(frame["stage"], categories=["Never", *STAGES]),
    )
    log = EventLog(categorical, **COLUMNS)
    pd.testing.assert_frame_equal(log.stage_stats(), expected)
    assert len(log.flow_times()) == 60
    assert "T-unused" not in set(log.flow_times()["case"])
    assert log.flow_metrics()["flow_time_median"] == pytest.approx(np.median(truth["flow"]))
