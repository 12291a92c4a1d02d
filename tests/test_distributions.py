"""Distributions of durations: parsing, figures worked out by hand, sampling, documents,
equality and refusals that name the parameter.
"""

from __future__ import annotations

import datetime
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vsm_widget
from vsm_widget import ValidationError, empirical, exponential, lognormal, triangular
from vsm_widget.core.distributions import Empirical, Exponential, Lognormal, Triangular, from_dict


def test_they_are_exported_from_the_package() -> None:
    assert vsm_widget.triangular is triangular
    assert {"exponential", "triangular", "lognormal", "empirical"} <= set(vsm_widget.__all__)


def test_arguments_are_durations() -> None:
    t = triangular("3 min", "4 min", "8 min")
    assert (t.low, t.mode, t.high) == (180.0, 240.0, 480.0)
    assert exponential("1.5 h").mean == 5400.0
    assert exponential(datetime.timedelta(minutes=2)).mean == 120.0
    assert lognormal("4 min", 60).sd == 60.0
    assert triangular(1, "2 s", pd.Timedelta(seconds=3)).high == 3.0


def test_means_and_spreads_by_hand() -> None:
    t = triangular("3 min", "4 min", "8 min")
    # (180 + 240 + 480) / 3 = 300; sd = sqrt((180² + 240² + 480² - 180·240 - 180·480 - 240·480) / 18)
    assert t.mean == 300.0
    assert t.sd == pytest.approx(math.sqrt((32400 + 57600 + 230400 - 43200 - 86400 - 115200) / 18))
    # p10 lies left of the mode (its share (240-180)/(480-180) = 0.2): 180 + sqrt(0.1 x 300 x 60)
    assert t.p10 == pytest.approx(180 + math.sqrt(0.1 * 300 * 60))
    # p90 lies right of it: 480 - sqrt(0.1 x 300 x 240)
    assert t.p90 == pytest.approx(480 - math.sqrt(0.1 * 300 * 240))
    assert t.spread == (t.p10, t.p90)
    e = exponential("4 min")
    # P(X <= x) = 1 - exp(-x / 240): p90 = 240 ln 10
    assert e.p90 == pytest.approx(240 * math.log(10))
    assert e.sd == 240.0
    assert e.cv == 1.0
    ln = lognormal("4 min", "2 min")
    # cv 0.5: sigma² = ln 1.25, median = mean / sqrt(1 + cv²)
    assert ln.sigma == pytest.approx(math.sqrt(math.log(1.25)))
    assert ln.quantile(0.5) == pytest.approx(240 / math.sqrt(1.25))
    emp = empirical([10, 20, 30, 40, 50])
    assert emp.mean == 30.0
    # linear interpolation: p10 at position 0.4 between 10 and 20
    assert emp.p10 == pytest.approx(14.0)
    assert emp.quantile(0.9) == pytest.approx(46.0)
    assert emp.sd == pytest.approx(math.sqrt(200))


@pytest.mark.parametrize(
    "dist",
    [
        triangular("3 min", "4 min", "8 min"),
        exponential("4 min"),
        lognormal("4 min", "3 min"),
        empirical([60, 90, 90, 300, 45]),
    ],
    ids=lambda d: d.kind,
)
def test_samples_have_the_mean_and_spread(dist) -> None:
    n = 200_000
    samples = dist.sample(np.random.default_rng(7), n)
    assert samples.shape == (n,)
    assert samples.min() >= 0
    # Four standard errors of a mean of n draws: fails about once in 16,000 seeds.
    assert abs(samples.mean() - dist.mean) < 4 * dist.sd / math.sqrt(n)
    assert samples.std() == pytest.approx(dist.sd, rel=0.03)
    if dist.kind != "empirical":  # readings are discrete: their p10 sits on a reading
        share_below_p10 = np.mean(samples <= dist.p10)
        # a share of n draws has standard error sqrt(0.1 x 0.9 / n)
        assert abs(share_below_p10 - 0.1) < 4 * math.sqrt(0.09 / n)


def test_the_same_generator_state_gives_the_same_samples() -> None:
    t = triangular(1, 2, 5)
    assert np.array_equal(t.sample(np.random.default_rng(3), 10), t.sample(np.random.default_rng(3), 10))


def test_empirical_reads_a_series_of_timedeltas_from_a_log() -> None:
    hands_on = pd.Series(pd.to_timedelta(["3 min", "5 min", "4 min"]))
    emp = empirical(hands_on)
    assert emp.values == (180.0, 240.0, 300.0)
    assert emp.share_below(240) == pytest.approx(2 / 3)
    draws = emp.sample(np.random.default_rng(0), 1000)
    assert set(draws.tolist()) <= {180.0, 240.0, 300.0}


@pytest.mark.parametrize(
    ("dist", "text"),
    [
        (triangular("3 min", "4 min", "8 min"), 'triangular("3 min", "4 min", "8 min")'),
        (exponential("1.5 h"), 'exponential("1.5 h")'),
        (lognormal(247.3, 30), 'lognormal("247.3 s", "30 s")'),
        (exponential(0.1), 'exponential("0.1 s")'),
    ],
)
def test_repr_reads_as_the_call_that_makes_it(dist, text) -> None:
    assert repr(dist) == text
    namespace = {"triangular": triangular, "exponential": exponential, "lognormal": lognormal}
    assert eval(repr(dist), namespace) == dist


def test_empirical_repr_is_short() -> None:
    text = repr(empirical(range(1, 1001)))
    assert text.startswith('empirical(["1 s", "2 s", "3 s", ... (1,000 values)')
    assert len(text) < 80


@pytest.mark.parametrize(
    "dist",
    [triangular(1, 2, 3), exponential(4), lognormal(5, 6), empirical([3, 1, 2])],
    ids=lambda d: d.kind,
)
def test_documents_round_trip_through_json(dist) -> None:
    data = json.loads(json.dumps(dist.to_dict(), allow_nan=False))
    assert data["distribution"] == dist.kind
    back = from_dict(data)
    assert back == dist
    assert hash(back) == hash(dist)


def test_equality_is_by_value() -> None:
    assert triangular(180, 240, 480) == triangular("3 min", "4 min", "8 min")
    assert triangular(180, 240, 480) != triangular(180, 240, 481)
    assert exponential(4) != lognormal(4, 4)
    # Readings are a sample: their order carries nothing.
    assert empirical([3, 1, 2]) == empirical([1, 2, 3])
    assert len({exponential(4), exponential("4 s")}) == 1


@pytest.mark.parametrize(
    ("make", "target", "field", "reason"),
    [
        (lambda: triangular(5, 4, 8), "triangular", "mode", "below low"),
        (lambda: triangular(1, 9, 8), "triangular", "mode", "above high"),
        (lambda: triangular(4, 4, 4), "triangular", "high", "fixed time"),
        (lambda: triangular("1 d", 2, 3), "triangular", "low", "days or weeks"),
        (lambda: triangular(1, 2, "2 weeks"), "triangular", "high", "days or weeks"),
        (lambda: triangular(-1, 2, 3), "triangular", "low", "negative"),
        (lambda: triangular(1, 2, "soon"), "triangular", "high", "not a duration"),
        (lambda: exponential(0), "exponential", "mean", "more than zero"),
        (lambda: exponential(math.inf), "exponential", "mean", "infinite"),
        (lambda: exponential(math.nan), "exponential", "mean", "not a number"),
        (lambda: exponential(True), "exponential", "mean", "not a duration"),
        (lambda: exponential("100 years"), "exponential", "mean", "unknown unit"),
        (lambda: exponential(1e12), "exponential", "mean", "ten years"),
        (lambda: lognormal(4, 0), "lognormal", "sd", "more than zero"),
        (lambda: empirical([]), "empirical", "values", "no measured"),
        (lambda: empirical("1 2 3"), "empirical", "values", "a list or a Series"),
        (lambda: empirical({"a": 1}), "empirical", "values", "a list or a Series"),
        (lambda: empirical([1, None, 3]), "empirical", "values[1]", "not a duration"),
        (lambda: empirical([1, math.nan]), "empirical", "values[1]", "not a number"),
        (lambda: empirical(pd.Series(pd.to_timedelta(["1 s", None]))), "empirical", "values[1]", "NaT"),
        (lambda: from_dict({"distribution": "gamma"}), "distribution", "distribution", "unknown"),
        (lambda: from_dict({"distribution": "exponential"}), "exponential", "distribution", "keys mean"),
        (lambda: from_dict({"distribution": "exponential", "mean": "4 s"}), "exponential", "mean", "number"),
        (lambda: from_dict({"distribution": "empirical", "values": 3}), "empirical", "values", "list"),
        (lambda: from_dict([1, 2]), "distribution", "distribution", "mapping"),
        (lambda: Triangular(1, 2, -3), "triangular", "high", "negative"),
        (lambda: triangular(1, 2, 3).quantile(1.5), "triangular", "q", "from 0 to 1"),
    ],
)
def test_refusals_name_the_parameter_and_the_reason(make, target, field, reason) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    assert caught.value.target == target
    assert caught.value.field == field
    assert reason in caught.value.reason
    json.dumps(caught.value.to_dict(), allow_nan=False)


def test_too_many_readings_are_refused() -> None:
    from vsm_widget.core.distributions import MAX_VALUES

    with pytest.raises(ValidationError, match="too many"):
        empirical(range(MAX_VALUES + 1))


durations = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(durations, durations, durations)
def test_triangular_of_any_three_durations(a: float, b: float, c: float) -> None:
    low, mode, high = sorted((a, b, c))
    if low == high:
        with pytest.raises(ValidationError):
            Triangular(low, mode, high)
        return
    t = Triangular(low, mode, high)
    assert low <= t.p10 <= t.quantile(0.5) <= t.p90 <= high
    assert low <= t.mean <= high
    assert from_dict(json.loads(json.dumps(t.to_dict()))) == t
    assert eval(repr(t), {"triangular": triangular}) == t


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=1e-3, max_value=1e7), st.floats(min_value=0.01, max_value=10), st.floats(0.001, 0.999)
)
def test_quantiles_invert_the_distribution(mean: float, cv: float, q: float) -> None:
    e = Exponential(mean)
    # The textbook distribution functions, F(x) = 1 - exp(-x / mean) and the normal one
    # of ln x, give back q at each quantile.
    assert 1 - math.exp(-e.quantile(q) / mean) == pytest.approx(q, rel=1e-9)
    ln = Lognormal(mean, mean * cv)
    z = (math.log(ln.quantile(q)) - ln.mu) / ln.sigma
    assert 0.5 * (1 + math.erf(z / math.sqrt(2))) == pytest.approx(q, rel=1e-7)
    # And numpy's own samplers agree: a share q of 20,000 draws falls below the quantile
    # (within five standard errors, so a fixed seed cannot make this flaky).
    rng = np.random.default_rng(7)
    tolerance = 5 * math.sqrt(q * (1 - q) / 20_000)
    for distribution in (e, ln):
        below = float(np.mean(distribution.sample(rng, 20_000) < distribution.quantile(q)))
        assert abs(below - q) < tolerance, distribution
    assert eval(repr(e), {"exponential": exponential}) == e


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_empirical_of_any_readings(values: list[float]) -> None:
    emp = Empirical(tuple(values))
    assert emp.quantile(0) == min(values)
    assert emp.quantile(1) == max(values)
    assert emp.quantile(0.37) == pytest.approx(float(np.quantile(values, 0.37)), abs=1e-6)
    assert from_dict(emp.to_dict()) == emp
