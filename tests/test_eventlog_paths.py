"""Event logs: every way of holding case ids and times gives the same, known figures.

The logs are generated with known hands-on and wait seconds per item and stage; the
expected statistics are derived from those true durations, never from the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from vsm_widget.data import eventlog as el
from vsm_widget.data.eventlog import EventLog

STAGES = ["Intake", "Build", "Review", "Ship"]
COLUMNS = {"case": "ticket", "activity": "stage", "start": "started", "end": "finished"}


def known_log(
    ids: list[object],
    *,
    seed: int = 1,
    unit_ns: int = 1_000_000_000,
    base: str = "2025-03-03 08:00",
    arrival_days: float = 30,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Each id passes the stages in order; durations in multiples of ``unit_ns``.

    Items arrive over ``arrival_days`` (at whole seconds, or at any nanosecond when
    ``unit_ns`` is 1); rows are shuffled.
    """
    rng = np.random.default_rng(seed)
    cases, k = len(ids), len(STAGES)
    hands = rng.integers(60, 4000, (cases, k)) * unit_ns
    waits = rng.integers(0, 9000, (cases, k)) * unit_ns
    waits[:, 0] = 0
    arrival = rng.integers(0, int(arrival_days * 86400), cases) * 1_000_000_000
    if unit_ns == 1:
        arrival += rng.integers(0, 1_000_000_000, cases)
    ends = arrival[:, None] + np.cumsum(waits + hands, axis=1)
    starts = ends - hands
    origin = np.datetime64(pd.Timestamp(base).as_unit("ns").to_datetime64())
    order = rng.permutation(cases * k)
    frame = pd.DataFrame(
        {
            "ticket": pd.Series(np.repeat(np.array(ids, dtype=object), k)[order], dtype=object),
            "stage": np.tile(STAGES, cases)[order],
            "started": origin + starts.ravel()[order].astype("timedelta64[ns]"),
            "finished": origin + ends.ravel()[order].astype("timedelta64[ns]"),
        }
    )
    seconds = 1e9
    truth = {
        "hands": hands / seconds,
        "waits": waits / seconds,
        "flow": (ends[:, -1] - starts[:, 0]) / seconds,
    }
    return frame, truth


def assert_true_figures(log: EventLog, ids: list[object], truth: dict[str, np.ndarray]) -> None:
    stats = log.stage_stats()
    assert list(stats.index) == STAGES
    for i, stage in enumerate(STAGES):
        hands = truth["hands"][:, i]
        assert stats.loc[stage, "items"] == stats.loc[stage, "visits"] == len(ids)
        assert stats.loc[stage, "hands_on_median"] == pytest.approx(np.median(hands), rel=1e-12)
        assert stats.loc[stage, "hands_on_mean"] == pytest.approx(hands.mean(), rel=1e-12)
        assert stats.loc[stage, "hands_on_p85"] == pytest.approx(np.percentile(hands, 85), rel=1e-12)
        if i:
            waits = truth["waits"][:, i]
            assert stats.loc[stage, "wait_median"] == pytest.approx(np.median(waits), rel=1e-12)
            assert stats.loc[stage, "wait_p85"] == pytest.approx(np.percentile(waits, 85), rel=1e-12)
            lead = waits + hands
            assert stats.loc[stage, "lead_mean"] == pytest.approx(lead.mean(), rel=1e-12)
            assert stats.loc[stage, "lead_p85"] == pytest.approx(np.percentile(lead, 85), rel=1e-12)
    flow = log.flow_times()
    assert sorted(flow["case"].tolist(), key=str) == sorted(ids, key=str)
    by_id = dict(zip(flow["case"].tolist(), flow["flow_time"].tolist(), strict=True))
    assert [by_id[i] for i in ids] == pytest.approx(list(truth["flow"]), rel=1e-12)


TEXT_IDS = {
    "prefix and number": [f"CASE-{i}" for i in range(0, 3000, 7)],
    "zero-padded": [f"T-{i:05d}" for i in range(400)],
    "digits only": [str(i + 1) for i in range(0, 5000, 11)],
    "long prefix": [f"ORDER-2025-EU-WEST-{i}" for i in range(300)],
    "non-ASCII prefix": [f"Aufträge-{i}" for i in range(200)],
    "eight digits": [f"X{10_000_000 + 977 * i}" for i in range(200)],
    "nine digits": [f"X{100_000_000 + 977 * i}" for i in range(200)],
    "letters": [f"case-{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(300)],
    "numbers then letters": [f"{i}-A" for i in range(300)],
}


@pytest.mark.parametrize("name", list(TEXT_IDS))
@pytest.mark.parametrize("dtype", ["str", "object", "category", "arrow-string"])
def test_text_ids_in_any_dtype_give_the_true_figures(name: str, dtype: str) -> None:
    ids = TEXT_IDS[name]
    frame, truth = known_log(ids, seed=len(name))
    if dtype == "arrow-string":
        frame["ticket"] = frame["ticket"].astype(pd.ArrowDtype(pa.string()))
    else:
        frame["ticket"] = frame["ticket"].astype(dtype)
    log = EventLog(frame, **COLUMNS)
    assert_true_figures(log, ids, truth)
    assert all(isinstance(v, str) for v in log.flow_times()["case"])


def test_integer_ids_give_the_true_figures() -> None:
    ids: list[object] = [int(v) for v in np.arange(500) * 7919 + 3]
    frame, truth = known_log(ids, seed=4)
    frame["ticket"] = frame["ticket"].astype(np.int64)
    assert_true_figures(EventLog(frame, **COLUMNS), ids, truth)


def test_ids_that_differ_only_in_leading_zeros_stay_apart() -> None:
    # "X-7" and "X-007" read as the same number but are different items.
    ids = ["X-7", "X-007", "X-70", "X-0", "X-00"]
    frame, truth = known_log(ids, seed=5)
    frame["ticket"] = frame["ticket"].astype("str")
    log = EventLog(frame, **COLUMNS)
    assert len(log.flow_times()) == 5
    assert_true_figures(log, ids, truth)


def test_sliced_and_chunked_arrow_ids() -> None:
    ids = [f"CASE-{i}" for i in range(600)]
    frame, truth = known_log(ids, seed=6)
    text = pa.chunked_array(
        [pa.array(["pad"] * 3 + frame["ticket"][:1000].tolist())[3:], frame["ticket"][1000:]]
    )
    frame["ticket"] = pd.Series(pd.arrays.ArrowExtensionArray(text), index=frame.index)
    assert_true_figures(EventLog(frame, **COLUMNS), ids, truth)


def test_items_are_listed_in_order_of_first_appearance() -> None:
    ids = [f"CASE-{i}" for i in (30, 4, 1000, 7)]
    frame, _ = known_log(ids, seed=7)
    frame = frame.sort_values("started", kind="stable").reset_index(drop=True)
    frame["ticket"] = frame["ticket"].astype("str")
    seen = list(dict.fromkeys(frame["ticket"]))
    assert EventLog(frame, **COLUMNS).flow_times()["case"].tolist() == seen
    # Duplicates are reported with the items' ids, first-appearing first.
    doubled = pd.concat([frame, frame.iloc[[5, 2]]], ignore_index=True)
    report = EventLog(doubled, **COLUMNS).report().set_index("issue")
    first = [t for t in seen if t in {frame["ticket"][5], frame["ticket"][2]}]
    assert report.loc["duplicate events", "examples"] == first


@pytest.mark.parametrize(
    ("unit_ns", "base", "cases", "days"),
    [
        (1_000_000_000, "2025-03-03 08:00", 300, 30),  # case, time and row fit one 64-bit key
        (1, "2025-03-03 08:00", 3000, 0.4),  # nanoseconds: case and time fit, the row does not
        (1, "1700-01-01 00:00", 40, 3650),  # nanoseconds over ten years: case and time do not fit
    ],
)
def test_every_time_resolution_gives_the_true_figures(
    unit_ns: int, base: str, cases: int, days: float
) -> None:
    ids = [f"CASE-{i}" for i in range(cases)]
    frame, truth = known_log(ids, seed=8, unit_ns=unit_ns, base=base, arrival_days=days)
    frame["ticket"] = frame["ticket"].astype("str")
    assert_true_figures(EventLog(frame, **COLUMNS), ids, truth)


def test_times_centuries_apart() -> None:
    # One item in 1700, one in 2200: the times span more than 2**62 ns.
    rows = []
    for ticket, base in (("A-1", "1700-01-01"), ("A-2", "2200-01-01")):
        origin = pd.Timestamp(base)
        for i, stage in enumerate(STAGES):
            start = origin + pd.Timedelta(seconds=100 * i + 10)
            rows.append((ticket, stage, start, start + pd.Timedelta(seconds=20 + i)))
    frame = pd.DataFrame(rows[::-1], columns=["ticket", "stage", "started", "finished"])
    stats = EventLog(frame, **COLUMNS).stage_stats()
    assert stats["hands_on_median"].tolist() == [20.0, 21.0, 22.0, 23.0]
    # Each stage starts 100 s after the previous one started, which took 20 + i s.
    assert stats["wait_median"].tolist()[1:] == [80.0, 79.0, 78.0]


def test_quantiles_of_skewed_and_equal_durations() -> None:
    # Many equal values and one huge outlier: the exact order statistics still come out.
    hands = [5] * 50 + [7] * 30 + [10**9]
    rows = [(f"C-{i}", "Only", 0, h) for i, h in enumerate(hands)]
    frame = pd.DataFrame(rows, columns=["ticket", "stage", "s", "e"])
    frame["started"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["s"], unit="s")
    frame["finished"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["e"], unit="s")
    stats = EventLog(frame[["ticket", "stage", "started", "finished"]], **COLUMNS).stage_stats()
    expected = np.array(hands, dtype=float)
    assert stats.loc["Only", "hands_on_median"] == np.median(expected)
    assert stats.loc["Only", "hands_on_p85"] == np.percentile(expected, 85)
    assert stats.loc["Only", "hands_on_mean"] == pytest.approx(expected.mean(), rel=1e-15)


@pytest.mark.parametrize("share", [0.1, 0.8])
def test_rework_counts_when_few_or_most_items_come_back(share: float) -> None:
    # Normal items: Intake, Build, Review, Ship. Items in `back` go Review -> Build once
    # more, items in `twice` twice; 10 s per event, events back to back.
    n = 200
    back = set(range(int(n * share)))
    twice = set(range(0, int(n * share), 3))
    rows = []
    for i in range(n):
        path = ["Intake", "Build", "Review"]
        path += ["Build", "Review"] * ((i in back) + (i in twice))
        path += ["Ship"]
        rows += [(f"R-{i}", stage, 100 * i + 10 * j, 100 * i + 10 * j + 10) for j, stage in enumerate(path)]
    order = np.random.default_rng(3).permutation(len(rows))
    frame = pd.DataFrame([rows[k] for k in order], columns=["ticket", "stage", "s", "e"])
    frame["started"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["s"], unit="s")
    frame["finished"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["e"], unit="s")
    frame["ticket"] = frame["ticket"].astype("str")
    stats = EventLog(frame.drop(columns=["s", "e"]), **COLUMNS).stage_stats()
    assert list(stats.index) == STAGES
    extra = len(back) + len(twice)
    for stage in ("Build", "Review"):
        assert stats.loc[stage, "items"] == n
        assert stats.loc[stage, "visits"] == n + extra
        assert stats.loc[stage, "rework"] == extra
        assert stats.loc[stage, "rework_items"] == len(back)
    assert stats.loc["Review", "sent_back"] == extra
    assert stats.loc["Build", "sent_back"] == 0
    for stage in ("Intake", "Ship"):
        assert stats.loc[stage, "visits"] == n
        assert stats.loc[stage, "rework"] == stats.loc[stage, "rework_items"] == 0


def test_large_logs_sorted_without_the_radix_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # Logs above the size limit take a plain sort; a low limit sends a small log there.
    import vsm_widget.data.eventlog as eventlog

    monkeypatch.setattr(eventlog, "_RADIX_EVENTS", 10)
    ids = [f"CASE-{i}" for i in range(300)]
    frame, truth = known_log(ids, seed=9)
    frame["ticket"] = frame["ticket"].astype("str")
    assert_true_figures(EventLog(frame, **COLUMNS), ids, truth)


def test_exact_statistics_over_many_stages_and_a_huge_range_of_durations() -> None:
    # 40 stages, hands-on times from 0 ns to years, many repeated: exact order statistics.
    rng = np.random.default_rng(12)
    stages = [f"S{j:02d}" for j in range(40)]
    cases = 120
    exponent = rng.integers(0, 17, (cases, len(stages)))
    hands = np.where(
        rng.random((cases, len(stages))) < 0.2, 0, 10**exponent * rng.integers(1, 9, exponent.shape)
    )
    starts = np.cumsum(hands, axis=1) - hands  # back to back: no waits
    origin = np.datetime64("2025-01-01T00:00:00", "ns")
    frame = pd.DataFrame(
        {
            "ticket": np.repeat([f"I-{i}" for i in range(cases)], len(stages)),
            "stage": np.tile(stages, cases),
            "started": origin + starts.ravel().astype("timedelta64[ns]"),
            "finished": origin + (starts + hands).ravel().astype("timedelta64[ns]"),
        }
    )
    stats = EventLog(frame, **COLUMNS, order=stages).stage_stats()
    for j, stage in enumerate(stages):
        seconds = hands[:, j] / 1e9
        assert stats.loc[stage, "hands_on_median"] == np.median(seconds)
        assert stats.loc[stage, "hands_on_p85"] == np.percentile(seconds, 85)
        assert stats.loc[stage, "hands_on_mean"] == pytest.approx(seconds.mean(), rel=1e-12)
        if j:
            assert stats.loc[stage, "wait_median"] == stats.loc[stage, "wait_p85"] == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nanosecond_times_in_the_same_second_are_ordered_exactly(seed: int) -> None:
    # Nanosecond times over three years do not fit one 64-bit key with case and row:
    # the sort keeps their leading bits, then puts rows of one case in one bucket in
    # exact order. Many events here fall within a second of each other.
    rng = np.random.default_rng(seed)
    n, cases = 50_000, 4_000
    case = rng.integers(0, cases, n)
    second = rng.integers(0, 3 * 365 * 86400, cases)[case] + rng.integers(0, 3, n)
    time = second * 1_000_000_000 + rng.integers(0, 1_000_000_000, n)
    time[::7] = time[1::7][: len(time[::7])]  # exact ties too, kept in row order
    perm, codes, ordered = el._case_time_order(case, cases, time)
    expected = np.lexsort((np.arange(n), time, case))
    np.testing.assert_array_equal(perm, expected)
    np.testing.assert_array_equal(codes, case[expected])
    np.testing.assert_array_equal(ordered, time[expected])
