"""DORA's four keys of software delivery, from a table of deployments and one of incidents.

The four keys (DORA, *Accelerate State of DevOps*; the Four Keys project) measure a
delivery stream from the outside, beside the flow metrics of its value stream map:

| key | definition here |
|---|---|
| deployment frequency | deployments to production per day (and per week) over the period |
| lead time for changes | time from a change's commit to its deployment in production (median, p85) |
| change failure rate | deployments that caused a failure in production / all deployments |
| time to restore service | time from an incident's start to its resolution (median, p85) |

Example::

    keys = dora_metrics(deployments, incidents, deployed="deployed_at",
                        committed="first_commit_at", failed="caused_incident",
                        started="opened_at", resolved="resolved_at")
    keys.loc["lead_time_for_changes", "value"]      # seconds
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..core.model import ValidationError
from .eventlog import _check_columns, _timestamp_ns

__all__ = ["DEFINITIONS", "dora_metrics"]

_NS = 1_000_000_000
_DAY = 86_400.0

#: What each key means, as :func:`dora_metrics` computes it.
DEFINITIONS = {
    "deployment_frequency": "deployments to production per day over the period",
    "deployments_per_week": "deployments to production per 7 days over the period",
    "lead_time_for_changes": "median time from a change's commit to its deployment in production",
    "lead_time_for_changes_p85": "85th percentile of the same",
    "change_failure_rate": "deployments that caused a failure in production / all deployments",
    "time_to_restore_service": "median time from an incident's start to its resolution",
    "time_to_restore_service_p85": "85th percentile of the same",
}
_UNITS = {
    "deployment_frequency": "per day",
    "deployments_per_week": "per week",
    "lead_time_for_changes": "s",
    "lead_time_for_changes_p85": "s",
    "change_failure_rate": "share",
    "time_to_restore_service": "s",
    "time_to_restore_service_p85": "s",
}


def _times(frame: pd.DataFrame, option: str, column: Any) -> tuple[np.ndarray, bool]:
    series = frame[column]
    missing = int(series.isna().sum())
    if missing:
        raise ValidationError(option, column, f"{missing} row(s) have no time; drop or fill them first")
    return _timestamp_ns(series, option)


def _failed_flags(frame: pd.DataFrame, column: Any) -> np.ndarray:
    values = frame[column]
    if values.isna().any():
        raise ValidationError("failed", column, "some deployments say neither True nor False")
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    text = values.astype(str).str.strip().str.lower()
    known = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    unknown = ~text.isin(list(known))
    if unknown.any():
        raise ValidationError(
            "failed", column, f"{values[unknown].iloc[0]!r} is not True or False (nor yes/no, 1/0)"
        )
    return text.map(known).to_numpy(dtype=bool)


def dora_metrics(
    deployments: pd.DataFrame,
    incidents: pd.DataFrame | None = None,
    *,
    deployed: Any = "deployed_at",
    committed: Any = "committed_at",
    failed: Any = None,
    started: Any = "started_at",
    resolved: Any = "resolved_at",
    deployment: Any = None,
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """The four keys, one row each: ``value``, ``unit``, ``n`` and ``definition``.

    ``deployments`` has one row per production deployment: when it was deployed
    (``deployed``) and when its change was committed (``committed``; the first commit
    where a deployment ships several). A deployment failed if its ``failed`` column is
    true, or, without one, if an incident's ``deployment`` column names its index
    label. ``incidents`` has one row per failure in production with when it
    ``started`` and was ``resolved``. The period runs from ``start`` to ``end``
    (timestamps), by default from the first deployment to the last; with a period,
    only deployments and incidents that started in it count. Durations are
    seconds of calendar time; see :data:`DEFINITIONS`.

    Bad tables raise :class:`~vsm_widget.core.model.ValidationError` naming the option: a
    missing column, a time that is not one, a deployment before its commit, an incident
    resolved before it started, no deployments.
    """
    if not isinstance(deployments, pd.DataFrame) or len(deployments) == 0:
        raise ValidationError(
            "deployments", type(deployments).__name__, "give a pandas frame with one row per deployment"
        )
    columns = {"deployed": deployed, "committed": committed}
    if failed is not None:
        columns["failed"] = failed
    _check_columns(list(deployments.columns), columns)
    deployed_ns, aware = _times(deployments, "deployed", deployed)
    committed_ns, committed_aware = _times(deployments, "committed", committed)
    if committed_aware != aware:
        raise ValidationError(
            "committed", committed, "commit and deployment times must both be naive or both aware"
        )
    early = deployed_ns < committed_ns
    if early.any():
        raise ValidationError(
            "committed",
            committed,
            f"{int(early.sum())} deployment(s) before their commit "
            f"(rows {list(deployments.index[early][:3])})",
        )
    n = len(deployments)
    rows: dict[str, tuple[float, int]] = {}

    low = int(deployed_ns.min()) if start is None else _bound(start, aware, "start")
    high = int(deployed_ns.max()) if end is None else _bound(end, aware, "end")
    if high < low:
        raise ValidationError("end", end, "the period ends before it starts")
    inside = (deployed_ns >= low) & (deployed_ns <= high)
    days = (high - low) / _NS / _DAY
    count = int(inside.sum())
    rows["deployment_frequency"] = (count / days if days > 0 else math.nan, count)
    rows["deployments_per_week"] = (7 * count / days if days > 0 else math.nan, count)
    lead = (deployed_ns[inside] - committed_ns[inside]) / _NS
    rows["lead_time_for_changes"] = (_quantile(lead, 0.5), len(lead))
    rows["lead_time_for_changes_p85"] = (_quantile(lead, 0.85), len(lead))

    restore = np.zeros(0)
    failed_flags: np.ndarray | None = None
    if failed is not None:
        failed_flags = _failed_flags(deployments, failed)
    if incidents is not None:
        if not isinstance(incidents, pd.DataFrame):
            raise ValidationError(
                "incidents", type(incidents).__name__, "give a pandas frame with one row per incident"
            )
        needed = {"started": started, "resolved": resolved}
        if deployment is not None:
            needed["deployment"] = deployment
        _check_columns(list(incidents.columns), needed)
        if len(incidents):
            began, began_aware = _times(incidents, "started", started)
            ended, ended_aware = _times(incidents, "resolved", resolved)
            if {began_aware, ended_aware} != {aware}:
                raise ValidationError(
                    "started", started, "incident and deployment times must all be naive or all aware"
                )
            backwards = ended < began
            if backwards.any():
                raise ValidationError(
                    "resolved",
                    resolved,
                    f"{int(backwards.sum())} incident(s) resolved before they started "
                    f"(rows {list(incidents.index[backwards][:3])})",
                )
            # Without a period every incident counts; with one, those that started in it.
            in_period = (
                (began >= low) & (began <= high) if start is not None or end is not None else slice(None)
            )
            restore = (ended[in_period] - began[in_period]) / _NS
            if failed_flags is None and deployment is not None:
                named = incidents[deployment].dropna()
                unknown = ~named.isin(deployments.index)
                if unknown.any():
                    raise ValidationError(
                        "deployment", named[unknown].iloc[0], "no deployment has this index label"
                    )
                failed_flags = deployments.index.isin(named).astype(bool)
        elif failed_flags is None and deployment is not None:
            failed_flags = np.zeros(n, dtype=bool)
    rows["time_to_restore_service"] = (_quantile(restore, 0.5), len(restore))
    rows["time_to_restore_service_p85"] = (_quantile(restore, 0.85), len(restore))
    if failed_flags is None:
        rows["change_failure_rate"] = (math.nan, 0)
    else:
        rate = float(failed_flags[inside].mean()) if count else math.nan
        rows["change_failure_rate"] = (rate, count)
    order = list(DEFINITIONS)
    return pd.DataFrame(
        {
            "value": [rows[k][0] for k in order],
            "unit": [_UNITS[k] for k in order],
            "n": [rows[k][1] for k in order],
            "definition": [DEFINITIONS[k] for k in order],
        },
        index=pd.Index(order, name="key"),
    )


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, 100 * q)) if len(values) else math.nan


def _bound(value: Any, aware: bool, option: str) -> int:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValidationError(option, value, "not a timestamp") from None
    if (stamp.tzinfo is not None) != aware:
        raise ValidationError(option, value, "naive and time-zone-aware times cannot be compared")
    if aware:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.as_unit("ns").value)
