"""PySpark frames (local mode, one JVM for the module) give the same figures as pandas.

PySpark needs Java: Debian's ``default-jre-headless``, which ``.ci/run`` installs where
``java`` is missing. Outside CI the module is skipped without PySpark or Java.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from test_eventlog import COLUMNS, generated
from vsm_widget.data.eventlog import EventLog

if not os.environ.get("CI"):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java", allow_module_level=True)
from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        SparkSession.builder.master("local[1]")
        .appName("vsm_widget tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    # Plain Python rows: PySpark's pandas conversion warns about pandas 3.
    return [
        tuple(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row)
        for row in frame.itertuples(index=False)
    ]


def test_spark_frames_give_the_same_figures_as_pandas(spark: Any) -> None:
    frame, _ = generated(cases=60, seed=6)
    expected = EventLog(frame, **COLUMNS, item_type="kind")
    schema = "ticket string, stage string, started timestamp_ntz, finished timestamp_ntz, kind string"
    log = EventLog(spark.createDataFrame(_rows(frame), schema), **COLUMNS, item_type="kind")
    pd.testing.assert_frame_equal(log.stage_stats(), expected.stage_stats())
    pd.testing.assert_frame_equal(
        log.flow_times().sort_values("case").reset_index(drop=True),
        expected.flow_times().sort_values("case").reset_index(drop=True),
    )
    pd.testing.assert_series_equal(log.flow_metrics(), expected.flow_metrics())


def test_spark_aware_times_and_lifecycle_rows(spark: Any) -> None:
    frame = pd.DataFrame(
        {
            "case": ["A", "A", "A", "A", "B"],
            "activity": ["Check", "Check", "Sign", "Sign", "Sign"],
            "time": pd.to_datetime(
                [
                    "2024-03-04 09:00",
                    "2024-03-04 09:40",
                    "2024-03-04 10:00",
                    "2024-03-04 12:00",
                    "2024-03-04 11:00",
                ],
                utc=True,
            ),
            "transition": ["start", "complete", "start", "complete", "complete"],
        }
    )
    options = {"case": "case", "activity": "activity", "timestamp": "time", "lifecycle": "transition"}
    expected = EventLog(frame, **options)
    sdf = spark.createDataFrame(
        _rows(frame), "case string, activity string, time timestamp, transition string"
    )
    log = EventLog(sdf, **options)
    stats = log.stage_stats()
    pd.testing.assert_frame_equal(stats, expected.stage_stats())
    assert stats.loc["Check", "hands_on_median"] == 40 * 60
    assert stats.loc["Sign", "hands_on_mean"] == (2 * 3600 + 0) / 2  # B's Sign is instant
    assert str(log.flow_times()["start"].dt.tz) == "UTC"
