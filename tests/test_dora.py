"""DORA's four keys on small tables worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsm_widget import ValidationError
from vsm_widget.data.dora import DEFINITIONS, dora_metrics

T0 = pd.Timestamp("2025-01-06 10:00")  # a Monday


def deployments() -> pd.DataFrame:
    # Five deployments over ten days; lead times 2, 4, 6, 30 and 48 hours.
    return pd.DataFrame(
        {
            "deployed_at": [T0 + pd.Timedelta(days=d) for d in (0, 2, 5, 7, 10)],
            "committed_at": [
                T0 + pd.Timedelta(days=d) - pd.Timedelta(hours=h)
                for d, h in zip((0, 2, 5, 7, 10), (2, 4, 6, 30, 48), strict=True)
            ],
            "caused_incident": [False, True, False, False, True],
        },
        index=["d1", "d2", "d3", "d4", "d5"],
    )


def incidents() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "started_at": [T0 + pd.Timedelta(days=2, hours=1), T0 + pd.Timedelta(days=10, hours=2)],
            "resolved_at": [T0 + pd.Timedelta(days=2, hours=4), T0 + pd.Timedelta(days=10, hours=3)],
            "deployment": ["d2", "d5"],
        }
    )


def test_the_four_keys_by_hand() -> None:
    keys = dora_metrics(deployments(), incidents(), failed="caused_incident")
    assert keys.loc["deployment_frequency", "value"] == 5 / 10
    assert keys.loc["deployments_per_week", "value"] == 3.5
    assert keys.loc["lead_time_for_changes", "value"] == 6 * 3600  # median of 2, 4, 6, 30, 48 h
    assert keys.loc["lead_time_for_changes_p85", "value"] == pytest.approx(
        np.percentile([2, 4, 6, 30, 48], 85) * 3600
    )
    assert keys.loc["change_failure_rate", "value"] == 2 / 5
    assert keys.loc["time_to_restore_service", "value"] == 2 * 3600  # median of 3 h and 1 h
    assert keys.loc["time_to_restore_service", "n"] == 2
    assert list(keys.index) == list(DEFINITIONS)
    assert keys.loc["change_failure_rate", "definition"] == DEFINITIONS["change_failure_rate"]


def test_failures_from_incidents_naming_deployments() -> None:
    frame = deployments().drop(columns="caused_incident")
    keys = dora_metrics(frame, incidents(), deployment="deployment")
    assert keys.loc["change_failure_rate", "value"] == 2 / 5
    without = dora_metrics(frame)
    assert np.isnan(without.loc["change_failure_rate", "value"])
    assert np.isnan(without.loc["time_to_restore_service", "value"])


def test_a_period_counts_only_what_falls_in_it() -> None:
    keys = dora_metrics(
        deployments(),
        failed="caused_incident",
        start=T0 + pd.Timedelta(days=1),
        end=T0 + pd.Timedelta(days=8),
    )
    # d2, d3 and d4 in 7 days; one of them failed.
    assert keys.loc["deployment_frequency", "value"] == 3 / 7
    assert keys.loc["change_failure_rate", "value"] == 1 / 3
    assert keys.loc["lead_time_for_changes", "value"] == 6 * 3600


def test_bad_tables_are_refused() -> None:
    frame = deployments()
    frame.loc["d3", "committed_at"] = frame.loc["d3", "deployed_at"] + pd.Timedelta(hours=1)
    with pytest.raises(ValidationError, match="before their commit") as caught:
        dora_metrics(frame)
    assert caught.value.field == "committed"
    with pytest.raises(ValidationError) as caught:
        dora_metrics(deployments(), deployed="shipped")
    assert caught.value.field == "deployed"
    bad = incidents()
    bad.loc[0, "resolved_at"] = bad.loc[0, "started_at"] - pd.Timedelta(minutes=1)
    with pytest.raises(ValidationError, match="resolved before they started"):
        dora_metrics(deployments(), bad)
    with pytest.raises(ValidationError, match="not True or False"):
        dora_metrics(
            deployments().assign(caused_incident=["no", "maybe", "no", "no", "yes"]), failed="caused_incident"
        )
    with pytest.raises(ValidationError, match="no deployment has this index label"):
        dora_metrics(deployments(), incidents().assign(deployment=["d2", "d9"]), deployment="deployment")
    with pytest.raises(ValidationError):
        dora_metrics(deployments().iloc[:0])
