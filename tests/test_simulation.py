"""The simulation against queueing theory, hand-worked lines, and its own rules.

Expected figures come from formulas written out here (Jackson networks, Erlang C,
Pollaczek-Khinchine) or from lines worked through by hand in the comments. Random
figures are checked against the confidence interval their replications give (99%, so
that a seed rarely lands outside by chance), and that interval must itself be narrow
enough for the check to mean something: a few percent of the expected figure.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsm_widget import ValidationError, ValueStreamMap, empirical, exponential, triangular
from vsm_widget.simulation import SUMMARY_KEYS, SimulationResult, simulate

CONFIDENCE = 0.99


def line(*cycle_times: object, takt: float = 1.0, **calendar: object) -> ValueStreamMap:
    """Steps s1, s2... with these cycle times, arrivals one per ``takt`` seconds on average
    (demand 3,600 / takt a day of 3,600 s).
    """
    m = ValueStreamMap("Line", demand=3600 / takt, available_time="3600 s", **calendar)
    for index, cycle in enumerate(cycle_times, start=1):
        m.add_process(f"S{index}", id=f"s{index}", cycle_time=cycle)
    return m


def check_against(estimate, expected: float, within: float = 0.03) -> None:
    """``expected`` lies in the interval, and the interval is narrower than ``within``."""
    assert estimate.low <= expected <= estimate.high, (estimate, expected)
    assert estimate.half_width < within * expected, (estimate, expected)


# --------------------------------------------------------------------------- theory


def test_an_mm1_tandem_line_has_the_jackson_network_lead_time() -> None:
    means = (0.5, 0.7, 0.8)
    m = line(*means)
    r = simulate(
        m,
        items=50_000,
        seed=11,
        replications=20,
        durations={f"s{i}": {"cycle_time": exponential(t)} for i, t in enumerate(means, start=1)},
    )
    # lambda = 1 per s; mean lead time = sum 1 / (mu_i - lambda) = 1/(2-1) + 1/(10/7-1) + 1/(1.25-1)
    expected = 1 / (2 - 1) + 1 / (10 / 7 - 1) + 1 / (1.25 - 1)
    summary = r.summary(CONFIDENCE)
    check_against(summary["lead_time_mean"], expected)
    # Throughput is the demand: 3,600 a day of 3,600 s.
    check_against(summary["throughput_per_day"], 3600.0, within=0.01)
    # Utilisation of each step is lambda / mu.
    for name, estimate in r.utilisation_estimates(CONFIDENCE).items():
        check_against(estimate, means[int(name[1:]) - 1], within=0.01)
    # Little's law, by theory too: WIP = lambda x W.
    check_against(summary["wip_mean"], expected)


def erlang_c_wait(servers: int, arrival_rate: float, service_mean: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda), a = lambda / mu."""
    a = arrival_rate * service_mean
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    bottom = sum(a**k / math.factorial(k) for k in range(servers)) + top
    return (top / bottom) / (servers / service_mean - arrival_rate)


@pytest.mark.parametrize("through", ["parallel field", "servers option"])
def test_an_mmc_step_has_the_erlang_c_wait(through: str) -> None:
    m = ValueStreamMap("M/M/3", demand=3600, available_time="3600 s")
    m.add_process("Desk", id="desk", cycle_time=2.4, parallel=3 if through == "parallel field" else 1)
    servers = {"Desk": 3} if through == "servers option" else None
    r = simulate(
        m, items=50_000, seed=5, replications=20, servers=servers, durations={"desk": exponential(2.4)}
    )
    # c = 3, lambda = 1, 1/mu = 2.4 s: a = 2.4, utilisation 0.8
    wait = erlang_c_wait(3, 1.0, 2.4)
    assert wait == pytest.approx(2.5888, abs=1e-3)  # C(3, 2.4) = 0.6472 by hand, / (1.25 - 1)
    check_against(r.summary(CONFIDENCE)["lead_time_mean"], wait + 2.4)
    check_against(r.utilisation_estimates(CONFIDENCE)["Desk"], 0.8, within=0.01)
    assert r.steps.loc["desk", "stations"] == 3


def test_breakdowns_match_pollaczek_khinchine_and_queue_longer_than_a_rate_loss() -> None:
    m = ValueStreamMap("Press", demand=3600, available_time="3600 s")
    m.add_process("Press", id="press", cycle_time=0.6, uptime="90%")
    mttr = 5.0
    r = simulate(
        m, items=100_000, seed=3, replications=20, uptime="breakdowns", repair_time=exponential(mttr)
    )
    # Failures in busy time: MTBF = MTTR u / (1 - u) = 45 s. A 0.6 s job meets N ~ Poisson(0.6/45)
    # repairs of mean 5 s: E[S] = 0.6 + 0.6/45 x 5; Var S = 0.6/45 x E[R²] = 0.6/45 x 2 x 25.
    mtbf = mttr * 0.9 / 0.1
    mean = 0.6 + 0.6 / mtbf * mttr
    second = 0.6 / mtbf * 2 * mttr**2 + mean**2
    assert mean == pytest.approx(0.6 / 0.9)  # the same mean as the rate loss
    # M/G/1, lambda = 1: W = lambda E[S²] / (2 (1 - lambda E[S])) + E[S]
    expected = second / (2 * (1 - mean)) + mean
    broken = r.summary(CONFIDENCE)["lead_time_mean"]
    check_against(broken, expected, within=0.05)
    assert r.steps.loc["press", "mtbf"] == pytest.approx(45.0)
    # The same uptime as a rate loss: M/D/1 at s = 0.6 / 0.9 s, W = lambda s² / (2 (1 - lambda s)) + s.
    rate = simulate(m, items=100_000, seed=3, replications=20).summary(CONFIDENCE)["lead_time_mean"]
    check_against(rate, mean**2 / (2 * (1 - mean)) + mean)
    # The same mean time per item, but the queue waits more than twice as long.
    assert broken.low - mean > 2 * (rate.high - mean)


def test_a_deterministic_line_gives_the_sum_of_its_times_and_the_demand() -> None:
    m = line(20, 45, 30, takt=60)
    m.add_wait("10 min", at=1)
    r = simulate(m, items=500, seed=1, arrivals="takt", replications=3)
    # 20 + 600 + 45 + 30 s, for every item: below takt nothing waits.
    assert set(r.lead_times.tolist()) == {695.0}
    summary = r.summary()
    assert summary["lead_time_p95"].value == 695.0
    # One departure a takt: 60 a day of 3,600 s.
    assert summary["throughput_per_day"].value == pytest.approx(60.0, rel=1e-12)
    # Utilisation is C/T / takt.
    assert r.utilisation.tolist() == pytest.approx([20 / 60, 45 / 60, 30 / 60])


def test_a_deterministic_line_flooded_with_work_runs_at_its_bottleneck() -> None:
    m = line(20, 45, 30)
    m.update("s2", uptime="90%")  # 45 s / 90% = 50 s: the bottleneck
    r = simulate(m, arrivals=[0.0] * 200, seed=1, replications=1, warmup=0)
    departures = r.items_frame()["departure"].to_numpy()
    # Everything is there at 0: the first leaves after 20 + 50 + 30 s, then one per 50 s.
    assert departures[0] == 100.0
    assert np.diff(departures) == pytest.approx(np.full(199, 50.0))
    assert r.summary()["throughput_per_day"].value == pytest.approx(3600 / 50)
    assert m.metrics().bottleneck == "s2"


def test_a_fixed_wait_adds_exactly_its_time_to_every_item() -> None:
    durations = {"s1": triangular(30, 40, 70), "s2": exponential(45)}
    without = line(40, 45, takt=60)
    with_wait = line(40, 45, takt=60)
    with_wait.add_wait("25 min", at=1)
    a = simulate(without, items=3000, seed=9, replications=2, durations=durations)
    b = simulate(with_wait, items=3000, seed=9, replications=2, durations=durations)
    # The same seed and step ids draw the same customers and times: only the wait differs.
    assert np.allclose(b.lead_times.to_numpy() - a.lead_times.to_numpy(), 1500.0, rtol=0, atol=1e-6)
    # The wait sits in the gap before S2: 25 min more there, for every item.
    assert b.steps.loc["s2", "wait_before"] == pytest.approx(a.steps.loc["s2", "wait_before"] + 1500)


def inside(items, t: float) -> int:
    """Items in the line at ``t``: arrived, not departed."""
    return int(((items["arrival"] <= t) & (items["departure"] > t)).sum())


def test_littles_law_holds_on_every_run() -> None:
    m = line(40, 50, 30, takt=60)
    m.add_wait("5 min", at=1)
    m.update("s2", batch_size=5, changeover="20 s", parallel=2)
    m.add_inventory(10, at=4)
    m.update("g2", flow="fifo", fifo_max=3)
    variants = [
        {},
        {"durations": {"s1": exponential(40), "s3": triangular(10, 30, 50)}},
        {"uptime": "breakdowns", "repair_time": "2 min", "durations": {"s3": exponential(30)}},
        {"arrivals": "takt"},
    ]
    m.update("s3", uptime="85%")
    for options in variants:
        r = simulate(m, items=4000, seed=2, replications=3, **options)
        items = r.items_frame()
        counted = items.iloc[r.warmup :]
        t0, t1 = counted["arrival"].iloc[0], counted["arrival"].iloc[-1]
        arrival_rate = len(counted) / (t1 - t0)
        wip = r.to_frame()["wip_mean"].iloc[0]
        # L = lambda W but for the ends of the window: the items already in the line at t0 (from
        # the warm-up) and those still in it at t1 each add at most their lead time.
        edge = (inside(items, t0) + inside(items, t1)) * items["lead_time"].max() / (t1 - t0)
        assert abs(wip - arrival_rate * counted["lead_time"].mean()) <= edge, options
        assert edge < 0.05 * wip


# --------------------------------------------------------------------------- features by hand


def test_a_batch_waits_to_fill_then_moves_at_once() -> None:
    m = line(5, takt=60)
    m.update("s1", batch_size=10, changeover="2 min")
    r = simulate(m, items=1000, arrivals="takt", warmup=100, replications=1)
    # Item k of a batch waits (9 - k) takts for the batch to fill, then the batch takes
    # 120 s + 10 x 5 s: mean (9 / 2) x 60 + 170 = 440 s; the first of each waits 540 + 170.
    assert r.summary()["lead_time_mean"].value == pytest.approx(440.0)
    assert r.lead_times.max() == 710.0
    assert r.lead_times.min() == 170.0
    # Busy 170 s per batch of 600 s.
    assert r.utilisation["S1"] == pytest.approx(170 / 600, rel=0.01)
    assert "a changeover is simulated once per batch; steps without a batch size have none" not in (
        r.assumptions
    )


def test_a_changeover_without_a_batch_size_is_not_simulated_and_that_is_said() -> None:
    m = line(5, takt=60)
    m.update("s1", changeover="2 min")
    r = simulate(m, items=100, arrivals="takt")
    assert set(r.lead_times.tolist()) == {5.0}
    assert "a changeover is simulated once per batch; steps without a batch size have none" in r.assumptions


def test_a_full_fifo_lane_blocks_the_step_before_it() -> None:
    m = line(1, 10)
    m.add_inventory(0, at=0, id="raw")
    m.add_inventory(0, at=2, id="lane")
    m.update("lane", flow="fifo", fifo_max=1)
    r = simulate(m, arrivals=[0.0] * 20, warmup=0, replications=1)
    # S2 takes item n at 1 + 10 n: every lead time is 11 + 10 n, bounded lane or not.
    assert r.items_frame()["lead_time"].tolist() == [11.0 + 10 * n for n in range(20)]
    lane, raw = r.queue["lane"], r.queue["raw"]
    assert lane.max() == 1
    # Items 0 and 1 leave S1 at 1 and 2; item n >= 2 only when item n - 1 starts at S2,
    # at 1 + 10 (n - 1). At 50 s, items 0-5 have left, item 6 is held in S1 (started
    # at 41): 13 of the 20 have not started at S1.
    assert raw[raw.index <= 50].iloc[-1] == 13
    unbounded = simulate(m, arrivals=[0.0] * 20, warmup=0, replications=1, limits={"lane": 10**6})
    assert unbounded.queue["raw"][unbounded.queue["raw"].index <= 50].iloc[-1] == 0
    assert unbounded.queue["lane"].max() == 18


def test_a_pull_gap_is_bounded_by_its_limit() -> None:
    m = line(1, 1.5, takt=1.2)
    m.add_inventory(0, at=1, id="market")
    m.update("market", flow="pull")
    durations = {"s1": exponential(1.0), "s2": exponential(1.5)}
    r = simulate(m, items=3000, seed=4, replications=1, limits={"market": 4}, durations=durations)
    assert r.queue["market"].max() == 4
    assert r.gaps.loc["market", "limit"] == 4
    free = simulate(m, items=3000, seed=4, replications=1, durations=durations)
    assert free.queue["market"].max() > 4
    assert "a pull gap without limits= is an unbounded queue" in free.assumptions


def test_a_step_on_fewer_shifts_stops_outside_them() -> None:
    # Two shifts of 100 s: the day is 200 s of working time; the step works the first 100.
    m = ValueStreamMap("Shifts", demand=10, available_time="2 x 100 s")
    m.add_process("Paint", cycle_time=20, shifts=1)
    night = simulate(m, arrivals=[150, 190], warmup=0, replications=1).items_frame()
    # Item 0 comes at 150, outside Paint's shift: it starts at 200 and leaves at 220 (70 s);
    # item 1 starts at 220 and leaves at 240 (50 s).
    assert night["lead_time"].tolist() == [70.0, 50.0]
    edge = simulate(m, arrivals=[80, 85], warmup=0, replications=1).items_frame()
    # Item 0 ends as the shift ends, at 100 (20 s); item 1 waits for the next, 200 to 220 (135 s).
    assert edge["lead_time"].tolist() == [20.0, 135.0]


def test_a_distribution_in_a_field_reaches_the_engine() -> None:
    m = line(40, takt=60)
    # Fields do not take distributions yet: put one in the state as a field would store it.
    step = dataclasses.replace(m.state.steps[0], cycle_time=exponential(40))
    state = dataclasses.replace(m.state, stream=(step,))
    from_field = simulate(state, items=2000, seed=8, replications=2)
    from_option = simulate(m, items=2000, seed=8, replications=2, durations={"s1": exponential(40)})
    assert from_field.lead_times.equals(from_option.lead_times)
    assert from_field.lead_times.std() > 10


def test_empirical_times_from_a_log_are_drawn_from_the_readings() -> None:
    m = line(40, takt=600)
    r = simulate(m, items=500, seed=1, replications=1, durations={"s1": empirical([30, 45, 60])})
    # At one item per 10 min on average, nothing much waits: most lead times are a reading.
    values = set(r.lead_times.round(9).tolist())
    assert {30.0, 45.0, 60.0} <= values


# --------------------------------------------------------------------------- results


def test_the_same_seed_gives_the_same_result_and_the_seed_is_kept() -> None:
    m = line(40, 50, takt=60)
    options = {"items": 2000, "replications": 3, "durations": {"s1": exponential(40)}}
    a, b = simulate(m, seed=21, **options), simulate(m, seed=21, **options)
    assert a.seed == 21
    assert a.lead_times.equals(b.lead_times)
    assert not simulate(m, seed=22, **options).lead_times.equals(a.lead_times)
    fresh = simulate(m, **options)
    assert isinstance(fresh.seed, int)
    assert simulate(m, seed=fresh.seed, **options).lead_times.equals(fresh.lead_times)


def test_the_map_method_delegates() -> None:
    m = line(40, 50, takt=60)
    r = m.simulate(1000, seed=3, replications=2)
    assert isinstance(r, SimulationResult)
    assert r.lead_times.equals(simulate(m, 1000, seed=3, replications=2).lead_times)


def test_results_carry_their_warm_up_and_figures() -> None:
    m = line(40, 50, takt=60)
    r = simulate(m, items=1000, seed=3, replications=4, durations={"s2": exponential(50)})
    assert r.warmup == 100
    assert r.lead_times.index.names == ["replication", "item"]
    assert len(r.lead_times) == 4 * 900
    assert r.lead_times.index.get_level_values("item").min() == 100
    summary = r.summary()
    assert list(summary) == list(SUMMARY_KEYS)
    assert summary["lead_time_p50"].value <= summary["lead_time_p85"].value <= summary["lead_time_p95"].value
    for key in SUMMARY_KEYS:
        assert summary[key].low < summary[key].value < summary[key].high
    # The mean of the four replications' figures.
    assert summary["lead_time_mean"].value == pytest.approx(r.to_frame()["lead_time_mean"].mean())
    json.dumps(summary.to_dict(), allow_nan=False)
    assert r.static_lead_time == 90.0
    assert r.utilisation.index.tolist() == ["S1", "S2"]
    frame = r.queue_frame(points=50)
    assert frame.shape == (50, 0)  # no gaps on this map
    share = r.within("2 min")
    assert 0 < share.value < 1


def test_a_single_replication_has_no_interval() -> None:
    r = simulate(line(40, takt=60), items=100, seed=1, replications=1)
    estimate = r.summary()["lead_time_mean"]
    assert math.isnan(estimate.low)
    assert estimate.to_dict()["low"] is None


def test_an_unstable_step_is_flagged() -> None:
    r = simulate(line(40, 70, takt=60), items=500, seed=1, replications=2)
    assert any("S2 is loaded at" in w for w in r.warnings)
    assert not any("S1 is loaded" in w for w in r.warnings)


def test_current_against_future_state_as_distributions() -> None:
    current = line(40, 55, takt=60)
    current.add_inventory(0, at=1)
    future = current.future()
    future.update("s2", cycle_time=45)
    durations = {"s1": exponential(40), "s2": exponential(55)}
    better = {"s1": exponential(40), "s2": exponential(45)}
    before = simulate(current, items=5000, seed=6, replications=8, durations=durations)
    after = simulate(future, items=5000, seed=6, replications=8, durations=better)
    comparison = before.compare(after)
    assert comparison.paired
    frame = comparison.to_frame()
    # M/M/1 at 55 s against takt 60 (waits of minutes) against 45 s: far shorter.
    assert frame.loc["lead_time_mean", "change_high"] < 0
    assert frame.loc["lead_time_mean", "clear"]
    assert frame.loc["throughput_per_day", "change_low"] < 0 < frame.loc["throughput_per_day", "change_high"]
    quantiles = comparison.quantiles()
    assert (quantiles["after"] < quantiles["before"]).all()
    assert "paired by replication" in repr(comparison)
    assert "<svg" in comparison._repr_html_()
    unpaired = before.compare(simulate(future, items=5000, seed=7, replications=8, durations=better))
    assert not unpaired.paired
    assert unpaired.to_frame().loc["lead_time_mean", "clear"]


def test_displays() -> None:
    m = line(40, 50, takt=60)
    m.add_wait("1 h", at=1)
    r = simulate(m, items=1000, seed=3, replications=3)
    text = repr(r)
    assert "seed 3" in text
    assert "Lead time, 85th percentile" in text
    assert "Static lead time (the map)" in text
    # 40 s + 1 h + 50 s = 3,690 s, in the map's lead unit (minutes below 2 h).
    assert "61.5 min" in text
    page = r._repr_html_()
    assert page.count("<svg") == 1
    assert "static lead time 61.5 min" in page
    assert "<table" in page
    assert "Lead time, median" in repr(r.summary())


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("options", "field", "reason"),
    [
        ({"items": 1}, "items", "from 2"),
        ({"items": "many"}, "items", "not a number"),
        ({"items": 2.5}, "items", "whole number"),
        ({"replications": 0}, "replications", "from 1"),
        ({"seed": -1}, "seed", "whole number"),
        ({"seed": 1.5}, "seed", "whole number"),
        ({"seed": True}, "seed", "whole number"),
        ({"warmup": 10_000}, "warmup", "from 0"),
        ({"arrivals": "weekly"}, "arrivals", "poisson"),
        ({"arrivals": None}, "arrivals", "poisson"),
        ({"arrivals": [5, -1]}, "arrivals", "negative"),
        ({"arrivals": [5, float("nan")]}, "arrivals", "finite"),
        ({"arrivals": [5]}, "arrivals", "at least 2"),
        ({"arrivals": [5, "soon"]}, "arrivals[1]", "not a duration"),
        (
            {"arrivals": np.array(["2026-01-01", "2026-01-02"], dtype="datetime64[ns]")},
            "arrivals",
            "calendar",
        ),
        ({"arrivals": [1, 2, 3], "items": 5}, "items", "only 3"),
        ({"uptime": "sometimes"}, "uptime", "rate, breakdowns"),
        ({"uptime": "breakdowns"}, "repair_time", "need a repair time"),
        ({"uptime": "breakdowns", "repair_time": "soon"}, "repair_time", "not a duration"),
        ({"durations": {"nowhere": 3}}, "durations", "no step or gap"),
        ({"durations": {"s1": {"colour": 3}}}, "durations.colour", "may vary cycle_time"),
        ({"durations": {"s1": "fast"}}, "durations.cycle_time", "not a duration"),
        ({"durations": {"s1": 3, "S1": 4}}, "durations", "given twice"),
        ({"durations": [("s1", 3)]}, "durations", "mapping"),
        ({"servers": {"s1": 0}}, "servers", "from 1"),
        ({"servers": {"g1": 2}}, "servers", "not a step"),
        ({"limits": {"s1": 2}}, "limits", "not a gap"),
        ({"confidence": 0.95}, None, None),
    ],
)
def test_refused_options_name_the_option_and_change_nothing(options, field, reason) -> None:
    m = line(40, 50, takt=60)
    m.add_wait("1 min", at=1)
    m.update("s1", uptime="90%")
    before = m.state
    if field is None:
        with pytest.raises(TypeError):
            simulate(m, **options)
        return
    with pytest.raises(ValidationError) as caught:
        simulate(m, **options)
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert m.state is before
    json.dumps(caught.value.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("edit", "field", "target", "reason"),
    [
        (lambda m: m.update("s1", cycle_time=None), "cycle_time", "s1", "cycle or process time"),
        (lambda m: m.update("s1", uptime=0), "uptime", "s1", "never produces"),
        (lambda m: m.update("s1", batch_size=2.5), "batch_size", "s1", "whole batches"),
        (lambda m: m.update("s2", batch_size=6), "fifo_max", "lane", "never fill"),
        (lambda m: m.update("customer", demand=None), "arrivals", None, "takt time"),
    ],
)
def test_maps_the_engine_cannot_run_are_refused_with_the_reason(edit, field, target, reason) -> None:
    m = line(40, 50, takt=60)
    m.add_inventory(3, at=1, id="lane")
    m.update("lane", flow="fifo", fifo_max=5)
    edit(m)
    with pytest.raises(ValidationError) as caught:
        simulate(m, items=100)
    assert (caught.value.field, caught.value.target) == (field, target)
    assert reason in caught.value.reason


def test_a_batch_before_a_full_lane_holds_its_station() -> None:
    m = line(1, 10)
    m.update("s1", batch_size=2)
    m.add_inventory(0, at=0, id="raw")
    m.add_inventory(0, at=2, id="lane")
    m.update("lane", flow="fifo", fifo_max=1)
    r = simulate(m, arrivals=[0.0] * 20, warmup=0, replications=1)
    # S1 cuts pairs in 2 s. Pair 0 is done at 2: item 0 goes on to S2 (busy until 12),
    # item 1 fills the lane. Pair 1 (2 to 4) waits in S1 until item 1 starts at 12 (item 2
    # leaves) and item 2 starts at 22 (item 3 leaves); pair 2 starts at 22. S2 takes item n
    # at 2 + 10 n: lead times 12 + 10 n.
    assert r.items_frame()["lead_time"].tolist() == [12.0 + 10 * n for n in range(20)]
    assert r.queue["lane"].max() == 1
    raw = r.queue["raw"]
    # At 30 s pairs 0-2 (items 0-5) have started at S1: 14 of 20 wait before it.
    assert raw[raw.index <= 30].iloc[-1] == 14
    # S1 worked 2 s per pair, 20 s in all, of the 202 s to the last departure (12 + 190).
    assert r.utilisation["S1"] == pytest.approx(20 / 202)


def test_the_event_loop_agrees_with_the_recurrences() -> None:
    from vsm_widget.simulation import engine
    from vsm_widget.simulation.line import build_line

    m = line(40, 50, 30, takt=60)
    m.add_inventory(0, at=1, id="lane")
    m.update("lane", flow="fifo", fifo_max=3)
    m.update("s3", parallel=2, batch_size=4, changeover="30 s", uptime="90%")
    durations = {"s1": triangular(20, 40, 70), "s2": exponential(50), "s3": triangular(50, 60, 90)}
    stations = list(build_line(m.state, durations=durations).stations)
    ready = np.cumsum(np.random.default_rng(0).exponential(60, 3000))
    clocks = [engine._Clock(3600.0, 1.0)] * 3

    def streams() -> list[np.random.Generator]:
        return [engine.rng_for(1, 0, s.id) for s in stations]

    # S1 and S2 around a bounded lane: item by item, and as events, on the same draws.
    by_item = engine._serve_segment(stations[:2], clocks[:2], ready, streams()[:2])
    by_event = engine._serve_events(stations[:2], clocks[:2], ready, streams()[:2])
    for a, b in zip(by_item, by_event, strict=True):
        assert np.allclose(a.start, b.start)
        assert np.allclose(a.leave, b.leave)
    # S3 alone (2 stations, batches, changeovers, rate loss): vectorised, and as events.
    arriving = by_item[1].leave
    vector = engine._serve(stations[2], clocks[2], arriving, streams()[2])
    (event,) = engine._serve_events(stations[2:], clocks[2:], arriving, streams()[2:])
    assert np.allclose(vector.start, event.start)
    assert np.allclose(vector.leave, event.leave)
    assert np.allclose(
        np.sort(vector.busy_end - vector.busy_start), np.sort(event.busy_end - event.busy_start)
    )


def test_a_bounded_lane_with_a_varying_wait_keeps_its_bound() -> None:
    m = line(40, 50, takt=60)
    m.add_wait("1 min", at=1, id="lane")
    m.update("lane", flow="fifo", fifo_max=5)
    r = simulate(
        m, items=2000, seed=1, replications=2, durations={"lane": exponential(60), "s2": exponential(50)}
    )
    assert r.queue["lane"].max() <= 5
    assert r.summary()["lead_time_mean"].value >= 150.0


def test_a_map_without_steps_is_refused() -> None:
    with pytest.raises(ValidationError, match="no step"):
        simulate(ValueStreamMap("Empty", demand=10, available_time="8 h"))


# --------------------------------------------------------------------------- properties


@st.composite
def lines(draw: st.DrawFn) -> tuple[ValueStreamMap, float]:
    """A straight map of 1-5 steps with fixed times, and the least time an item needs."""
    takt = draw(st.floats(5, 100))
    m = ValueStreamMap("Random", demand=3600 / takt, available_time="3600 s")
    least = 0.0
    for index in range(draw(st.integers(1, 5))):
        cycle = draw(st.floats(0.5, 150))
        uptime = draw(st.sampled_from([None, 0.8, 1.0]))
        parallel = draw(st.sampled_from([1, 1, 2]))
        batch = draw(st.sampled_from([None, None, 3]))
        if index:
            kind = draw(st.sampled_from(["none", "wait", "lane"]))
            if kind == "wait":
                wait = draw(st.floats(0, 300))
                m.add_wait(wait)
                least += wait
            elif kind == "lane":
                m.add_inventory(0, flow="fifo", fifo_max=draw(st.integers(3, 6)))
        m.add_process(f"S{index}", cycle_time=cycle, uptime=uptime, parallel=parallel, batch_size=batch)
        least += cycle / (uptime or 1.0)
    return m, least


@settings(max_examples=40, deadline=None)
@given(lines(), st.integers(0, 2**32 - 1))
def test_random_lines_keep_the_rules(case, seed) -> None:
    m, least = case
    r = simulate(m, items=300, seed=seed, replications=2)
    items = r.items_frame()
    # No item is through faster than its own work and waits (a batch adds its others' work).
    assert (items["lead_time"] >= least * (1 - 1e-9) - 1e-9).all()
    for gap in m.gaps:
        if gap.fifo_max is not None:
            assert r.queue[gap.id].max() <= gap.fifo_max
        assert (r.queue[gap.id] >= 0).all()
    assert ((r.utilisation >= 0) & (r.utilisation <= 1 + 1e-9)).all()
    again = simulate(m, items=300, seed=seed, replications=2)
    assert again.lead_times.equals(r.lead_times)


def test_the_simulation_imports_no_widget_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, vsm_widget.simulation, vsm_widget.core.distributions; "
        "print(sorted(m for m in ('ipywidgets', 'anywidget', 'bqplot', 'traitlets') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
