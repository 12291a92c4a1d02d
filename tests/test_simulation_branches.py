"""The simulation of streams that branch and loop: feeders, parallel paths, rework.

Expected figures are worked out by hand in the comments, or come from queueing theory
written out here; random figures are checked against the 99% interval of their
replications, which must itself be narrow (as in tests/test_simulation.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from vsm_widget import ValidationError, ValueStreamMap, exponential, triangular
from vsm_widget.simulation import simulate

CONFIDENCE = 0.99


def check_against(estimate, expected: float, within: float = 0.03) -> None:
    """``expected`` lies in the interval, and the interval is narrower than ``within``."""
    assert estimate.low <= expected <= estimate.high, (estimate, expected)
    assert estimate.half_width < within * expected, (estimate, expected)


def assembly(feeder_wait: str = "200 s", parallel_wait: str = "50 s") -> ValueStreamMap:
    """Takt 60 s. Main line A 10 s, wait 100 s, B 20 s, an empty gap, C 5 s; a feeder
    F1 30 s, wait ``feeder_wait``, F2 10 s into C; a parallel path after A: P1 15 s, wait
    ``parallel_wait``, into C.
    """
    m = ValueStreamMap("Assembly", demand=60, available_time="3600 s")
    m.add_process("A", id="a", cycle_time=10)
    m.add_wait("100 s", id="g_ab")
    m.add_process("B", id="b", cycle_time=20)
    m.add_inventory(0, id="g_bc")
    m.add_process("C", id="c", cycle_time=5)
    feeder = m.add_branch(into="C", name="Brackets")
    feeder.add_process("F1", id="f1", cycle_time=30)
    feeder.add_wait(feeder_wait, id="g_f")
    feeder.add_process("F2", id="f2", cycle_time=10)
    split = m.add_branch(into="C", after="A", name="Check")
    split.add_process("P1", id="p1", cycle_time=15)
    split.add_wait(parallel_wait, id="g_p")
    return m


# --------------------------------------------------------------------------- branches


@pytest.mark.parametrize(
    ("feeder_wait", "parallel_wait", "expected", "critical"),
    [
        # Feeder: 30 + 200 + 10 + 5 = 245; main: 10 + 100 + 20 + 5 = 135; parallel: 10 + 15 + 50 + 5 = 80.
        ("200 s", "50 s", 245.0, "feeder"),
        # Parallel: 10 + 15 + 300 + 5 = 330 against the feeder's 30 + 20 + 10 + 5 = 65.
        ("20 s", "300 s", 330.0, "parallel"),
        # Both short: the main line's 135 (the feeder's 30 + 20 + 10 + 5 = 65, the parallel 80).
        ("20 s", "50 s", 135.0, "main"),
    ],
)
def test_a_deterministic_fork_and_join_takes_the_longest_path(feeder_wait, parallel_wait, expected, critical):
    m = assembly(feeder_wait, parallel_wait)
    r = simulate(m, items=300, seed=1, arrivals="takt", replications=2)
    # Every step is below takt: nothing queues, so every item takes the longest path.
    assert set(r.lead_times.tolist()) == {expected}
    assert r.static_lead_time == expected
    paths = m.paths()
    assert paths.loc[paths["critical"], "lead_time"].iloc[0] == expected
    summary = r.summary()
    assert summary["throughput_per_day"].value == pytest.approx(60.0, rel=1e-12)
    # Every step serves each item once, its parts too: utilisation is C/T / takt.
    assert r.utilisation.to_dict() == pytest.approx(
        {"A": 10 / 60, "B": 20 / 60, "C": 5 / 60, "F1": 30 / 60, "F2": 10 / 60, "P1": 15 / 60}
    )
    # The inputs that come early wait for the kit in the gap before C (g_bc on the main
    # line): the main line's item is there at 130 s and starts at expected - 5; by Little's
    # law the gap holds that wait / takt items on average.
    main_wait = expected - 5 - 130
    assert r.gaps.loc["g_bc", "queue_mean"] == pytest.approx(main_wait / 60, abs=0.02)
    # C's wait counts from the last of its inputs to leave the step before it: B at 130,
    # F2 at 30 + wait + 10, P1 at 25 (its wait of 50 or 300 s on the way is part of the wait).
    latest = max(130, 30 + float(feeder_wait.split()[0]) + 10, 25)
    assert r.steps.loc["c", "wait_before"] == pytest.approx(expected - 5 - latest)


def test_the_assembly_starts_when_its_last_input_arrives() -> None:
    m = assembly()
    r = simulate(m, arrivals=[0.0, 1000.0], warmup=0, replications=1)
    run = r._first
    index = {s.id: i for i, s in enumerate(r.line.stations)}
    c, f2, b, p1 = (run.stations[index[k]] for k in ("c", "f2", "b", "p1"))
    # C starts item k at the latest of B's leaving (130 s after arrival), F2's (240 s) and
    # the parallel path's (P1 leaves at 25 s, then a wait of 50 s: 75 s).
    assert b.leave.tolist() == [130.0, 1130.0]
    assert f2.leave.tolist() == [240.0, 1240.0]
    assert p1.leave.tolist() == [25.0, 1025.0]
    assert c.start.tolist() == [240.0, 1240.0]


def test_a_feeder_slower_than_the_main_line_limits_the_throughput() -> None:
    m = assembly("20 s", "10 s")
    m.update("f1", cycle_time=50)  # 50 s a part: slower than every main-line step
    r = simulate(m, arrivals=[0.0] * 200, warmup=0, replications=1)
    departures = r.items_frame()["departure"].to_numpy()
    # All 200 orders are there at 0. Item k leaves B at 10 + 100 + 20 (k + 1) = 130 + 20 k;
    # its part leaves F2 at 50 (k + 1) + 20 + 10 = 80 + 50 k. C starts at the later: the
    # main line for k = 0 and 1 (130, 150), the feeder from k = 2 on; it takes 5 s.
    k = np.arange(200)
    assert departures.tolist() == pytest.approx(np.maximum(130 + 20 * k, 80 + 50 * k) + 5)
    assert np.diff(departures[2:]) == pytest.approx(np.full(197, 50.0))
    # 199 departures after the first, from 135 s to 85 + 50 x 199 = 10,035 s, a day of 3,600 s:
    # the feeder's 72 a day but for the two early ones.
    assert r.summary()["throughput_per_day"].value == pytest.approx(199 / (10_035 - 135) * 3600)
    assert m.metrics().bottleneck == "f1"
    # F1 works from 0 to 200 x 50 = 10,000 s of the window to the last departure at 10,035.
    assert r.utilisation["F1"] == pytest.approx(10_000 / 10_035)
    # The main line keeps its own pace and its items pile up before C, waiting for parts.
    assert r.queue["g_bc"].max() > 100


def test_littles_law_holds_where_the_stream_branches() -> None:
    m = assembly()
    m.update("b", batch_size=3, changeover="10 s")
    durations = {
        "a": exponential(10),
        "f1": triangular(20, 30, 45),
        "p1": exponential(15),
        "c": exponential(5),
        "g_p": triangular(30, 50, 90),
    }
    r = simulate(m, items=4000, seed=3, replications=3, durations=durations)
    items = r.items_frame()
    counted = items.iloc[r.warmup :]
    t0, t1 = counted["arrival"].iloc[0], counted["arrival"].iloc[-1]
    rate = len(counted) / (t1 - t0)
    wip = r.to_frame()["wip_mean"].iloc[0]
    inside = [int(((items["arrival"] <= t) & (items["departure"] > t)).sum()) for t in (t0, t1)]
    # L = lambda W, but for the items in the line at either end of the window.
    edge = sum(inside) * items["lead_time"].max() / (t1 - t0)
    assert abs(wip - rate * counted["lead_time"].mean()) <= edge
    assert edge < 0.05 * wip
    # No item is through faster than its part's shortest way: F1 at least 20 s, 200 + 10 s.
    assert (r.lead_times > 230).all()


def test_random_branches_repeat_with_the_seed_and_name_branch_steps() -> None:
    m = assembly()
    options = {"durations": {"F1": exponential(30), "P1": triangular(5, 15, 40)}, "servers": {"F2": 2}}
    a = simulate(m, items=2000, seed=5, replications=2, **options)
    b = simulate(m, items=2000, seed=5, replications=2, **options)
    assert a.lead_times.equals(b.lead_times)
    assert a.steps.loc["f2", "stations"] == 2
    assert a.lead_times.std() > 0
    assert simulate(m, items=2000, seed=6, replications=2, **options).lead_times.mean() != a.lead_times.mean()
    # Every gap of every path has its queue.
    assert set(a.queue) == {"g_ab", "g_bc", "g_f", "g_p"}


def test_a_bounded_lane_into_a_merge_is_said_to_be_unbounded() -> None:
    m = assembly()
    m.update("g_bc", flow="fifo", fifo_max=2)
    r = simulate(m, items=200, seed=1, arrivals="takt", replications=1)
    assert any("a split or merge does not block" in w and "before C" in w for w in r.warnings)
    assert r.gaps.loc["g_bc", "limit"] is None or np.isnan(r.gaps.loc["g_bc", "limit"])


# --------------------------------------------------------------------------- rework loops


def looped(share: str = "25%") -> ValueStreamMap:
    """Takt 600 s: S1 5 s, wait 100 s, S2 4 s, wait 20 s, S3 6 s, wait 50 s, S4 5 s; a loop
    sends ``share`` of what leaves S3 back to S2.
    """
    m = ValueStreamMap("Loop", demand=6, available_time="3600 s")
    m.add_process("S1", id="s1", cycle_time=5)
    m.add_wait("100 s", id="g1")
    m.add_process("S2", id="s2", cycle_time=4)
    m.add_wait("20 s", id="g2")
    m.add_process("S3", id="s3", cycle_time=6)
    m.add_wait("50 s", id="g3")
    m.add_process("S4", id="s4", cycle_time=5)
    m.add_rework(source="S3", target="S2", share=share, id="r1")
    return m


def test_a_deterministic_loop_repeats_its_segment_one_over_one_minus_the_share() -> None:
    m = looped("25%")
    r = simulate(m, items=10_000, seed=7, arrivals="takt", replications=1, warmup=0)
    visits = r._first.stations[1].visits
    # Passes through S2 to S3 are geometric: mean 1 / (1 - 0.25) = 4/3, within a few percent.
    assert r.steps.loc["s2", "passes"] == pytest.approx(4 / 3, rel=0.02)
    assert r.steps.loc["s3", "passes"] == r.steps.loc["s2", "passes"]
    assert r.steps.loc["s1", "passes"] == r.steps.loc["s4", "passes"] == 1.0
    # The share of items back at least once is the share.
    assert np.mean(visits > 1) == pytest.approx(0.25, abs=0.015)
    # Light load (a pass is 4 + 20 + 6 = 30 s, an order every 600 s): nothing queues, so
    # each item takes 5 + 100 + 30 per pass + 50 + 5 s.
    assert r.items_frame()["lead_time"].tolist() == pytest.approx((160 + 30 * visits).tolist())
    # The static expected lead time counts the segment (S2, the wait, S3) 4/3 times:
    # 5 + 100 + 30 x 4/3 + 50 + 5 = 200 s.
    assert m.metrics().lead_time_with_rework == pytest.approx(200.0)
    assert r.summary()["lead_time_mean"].value == pytest.approx(200.0, rel=0.02)
    # The wait between S2 and S3 is passed once per pass: 20 s each time, by Little's law
    # 20 x 4/3 / 600 items in it on average.
    assert r.gaps.loc["g2", "queue_mean"] == pytest.approx(20 * 4 / 3 / 600, rel=0.03)
    # Throughput is still the demand: every order leaves once.
    assert r.summary()["throughput_per_day"].value == pytest.approx(6.0, rel=1e-9)


def test_an_mm1_with_bernoulli_feedback_matches_theory() -> None:
    m = ValueStreamMap("Feedback", demand=3600, available_time="3600 s")  # lambda = 1 per s
    m.add_process("Test", id="t", cycle_time=0.5)
    m.add_rework(source="Test", target="Test", share="30%")
    r = simulate(m, items=30_000, seed=12, replications=12, durations={"t": exponential(0.5)})
    # lambda_eff = lambda / (1 - p) = 1 / 0.7; mu = 2: each visit takes 1 / (mu - lambda_eff)
    # on average, and an item makes 1 / (1 - p) visits: 1 / ((1 - p) mu - lambda) = 2.5 s.
    lam, mu, p = 1.0, 2.0, 0.3
    effective = lam / (1 - p)
    visits = 1 / (1 - p)
    expected = visits / (mu - effective)
    assert expected == pytest.approx(1 / ((1 - p) * mu - lam))
    summary = r.summary(CONFIDENCE)
    check_against(summary["lead_time_mean"], expected, within=0.04)
    check_against(r.utilisation_estimates(CONFIDENCE)["Test"], effective / mu, within=0.01)
    assert r.steps.loc["t", "passes"] == pytest.approx(visits, rel=0.01)
    check_against(summary["wip_mean"], lam * expected, within=0.04)


def test_littles_law_and_the_seed_hold_with_loops_batches_and_lanes() -> None:
    m = looped("20%")
    m.update("customer", demand=60)  # takt 60 s
    m.update("s3", batch_size=3, changeover="5 s")
    m.update("g2", flow="fifo", fifo_max=4, wait_time=None)
    durations = {"s2": exponential(4), "s3": triangular(2, 6, 12), "g3": exponential(50)}
    a = simulate(m, items=3000, seed=8, replications=2, durations=durations)
    b = simulate(m, items=3000, seed=8, replications=2, durations=durations)
    assert a.lead_times.equals(b.lead_times)
    items = a.items_frame()
    # Every order leaves after it came (a stuck one would keep a departure of 0), the
    # last partial batch at S3 included.
    assert (items["lead_time"] > 0).all()
    counted = items.iloc[a.warmup :]
    t0, t1 = counted["arrival"].iloc[0], counted["arrival"].iloc[-1]
    inside = [int(((items["arrival"] <= t) & (items["departure"] > t)).sum()) for t in (t0, t1)]
    edge = sum(inside) * items["lead_time"].max() / (t1 - t0)
    wip = a.to_frame()["wip_mean"].iloc[0]
    assert abs(wip - len(counted) / (t1 - t0) * counted["lead_time"].mean()) <= edge
    assert edge < 0.05 * wip
    # The lane between S2 and S3 keeps its bound of 4 on every pass.
    assert a.queue["g2"].max() <= 4
    assert a.steps.loc["s2", "passes"] == pytest.approx(1.25, rel=0.05)


def test_a_loop_over_a_split_is_refused_with_the_reason() -> None:
    m = looped()
    m.add_branch(into="S3", after="S2").add_process("Side", id="side", cycle_time=3)
    before = m.state
    with pytest.raises(ValidationError) as caught:
        simulate(m, items=100)
    assert (caught.value.field, caught.value.target) == ("reworks", "r1")
    assert "splits after S2" in caught.value.reason
    assert m.state is before
