"""The shapes real event logs come in, turned into intervals of work.

Two shapes need more than reading a start and an end column:

- **Lifecycle rows** (XES and most process-mining exports): one row per transition of an
  activity (``start``, ``complete``, ``schedule``, ``suspend``...). A start and a complete
  of the same case and activity make one visit; open starts are paired first in, first
  out; a complete with no open start is an instant activity (no hands-on time).
- **Status histories** (Jira, GitLab, ServiceNow): one row per status change, the time
  marking when the item *entered* the status. A status lasts until the next change; the
  case's last status ends it. Statuses named as waiting are queues: their time is the
  wait before the next working status.

Both work on integer codes and int64 nanoseconds and return arrays for the engine in
:mod:`vsm_widget.data.eventlog`; no Python loop runs over events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Intervals", "pair_lifecycle", "status_intervals"]

#: Transitions that open a visit, close it, or are known and not durations of work.
STARTS = frozenset({"start"})
COMPLETES = frozenset({"complete"})
PAUSES = frozenset({"suspend", "resume"})
NOT_WORK = frozenset({"schedule", "assign", "reassign", "autoskip", "manualskip"})
ABORTS = frozenset({"ate_abort", "pi_abort", "withdraw"})


@dataclass
class Intervals:
    """Pieces of work per case: the rows of the source they came from and their times.

    ``rows`` index the source frame (the row that closed the visit); ``origin`` and
    ``close`` are per case code (int64 ns) when the item's arrival and end are known
    beyond its work, else ``None``.
    """

    rows: np.ndarray
    start: np.ndarray
    end: np.ndarray
    origin: np.ndarray | None = None
    close: np.ndarray | None = None
    issues: list[tuple[str, int, str, np.ndarray]] = field(default_factory=list)


def _grouped_cumsum(values: np.ndarray, new_group: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting where ``new_group`` is True."""
    total = np.cumsum(values)
    starts = np.flatnonzero(new_group)
    offsets = np.repeat(total[starts] - values[starts], np.diff(np.append(starts, len(values))))
    return total - offsets


def pair_lifecycle(
    case_codes: np.ndarray, act_codes: np.ndarray, time: np.ndarray, transitions: pd.Series
) -> Intervals:
    """Pair start and complete rows per case and activity (open starts first in, first out).

    A complete with no open start is an instant visit (start = end). Starts never
    completed, aborted activities, pauses (suspend/resume, whose time stays inside the
    visit), scheduling rows and unknown transitions are reported and not counted as work.
    """
    kind = transitions.astype("string").str.strip().str.lower()
    kinds = kind.to_numpy(dtype=object, na_value="")
    is_start = np.isin(kinds, list(STARTS))
    is_complete = np.isin(kinds, list(COMPLETES))
    issues: list[tuple[str, int, str, np.ndarray]] = []
    rows = np.arange(len(kinds))
    for names, issue, action in (
        (NOT_WORK, "schedule, assign and skip transitions", "not work: left out"),
        (PAUSES, "suspend and resume transitions", "the pause stays inside the visit's hands-on time"),
        (ABORTS, "aborted activities (ate_abort, pi_abort, withdraw)", "left out; their start stays open"),
    ):
        found = np.isin(kinds, list(names))
        if found.any():
            issues.append((issue, int(found.sum()), action, rows[found]))
    known = STARTS | COMPLETES | PAUSES | NOT_WORK | ABORTS
    unknown = ~np.isin(kinds, list(known))
    if unknown.any():
        shown = sorted({str(k) for k in kinds[unknown][:1000]})[:5]
        issues.append((f"unknown transitions {shown}", int(unknown.sum()), "left out", rows[unknown]))
    keep = np.flatnonzero(is_start | is_complete)
    # Sorted by case, activity, time, and at one moment a start before a complete.
    order = np.lexsort((~is_start[keep], time[keep], act_codes[keep], case_codes[keep]))
    idx = keep[order]
    c, a, t, s = case_codes[idx], act_codes[idx], time[idx], is_start[idx]
    repeated = np.zeros(len(idx), dtype=bool)
    repeated[1:] = (c[1:] == c[:-1]) & (a[1:] == a[:-1]) & (t[1:] == t[:-1]) & (s[1:] == s[:-1])
    if repeated.any():
        # A row repeated exactly is one transition recorded twice, not two visits.
        issues.append(("duplicate events", int(repeated.sum()), "dropped", idx[repeated]))
        idx, c, a, t, s = idx[~repeated], c[~repeated], a[~repeated], t[~repeated], s[~repeated]
    n = len(idx)
    if n == 0:
        return Intervals(
            rows=np.zeros(0, np.int64), start=np.zeros(0, np.int64), end=np.zeros(0, np.int64), issues=issues
        )
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (c[1:] != c[:-1]) | (a[1:] != a[:-1])
    group = np.cumsum(new_group) - 1
    starts_so_far = _grouped_cumsum(s.astype(np.int64), new_group)
    completes_so_far = _grouped_cumsum((~s).astype(np.int64), new_group)
    # The k-th complete closes a start iff one is open: P_k = min(P_{k-1} + 1, S_k), whose
    # closed form is P_k = k + min(0, min over j <= k of (S_j - j)), a grouped running min.
    comp = np.flatnonzero(~s)
    slack = pd.Series(starts_so_far[comp] - completes_so_far[comp]).groupby(group[comp]).cummin().to_numpy()
    paired_count = completes_so_far[comp] + np.minimum(slack, 0)
    previous = np.zeros(len(comp), dtype=np.int64)
    same = group[comp][1:] == group[comp][:-1]
    previous[1:] = np.where(same, paired_count[:-1], 0)
    paired = paired_count > previous
    # The m-th paired complete of a group closes the group's m-th start.
    n_groups = int(group[-1]) + 1
    closed = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(closed, group[comp], paired_count)
    start_rows = np.flatnonzero(s)
    start_used = starts_so_far[start_rows] <= closed[group[start_rows]]
    open_starts = start_rows[~start_used]
    if len(open_starts):
        issues.append(
            (
                "starts without a complete",
                len(open_starts),
                "left out (the visit never ended)",
                idx[open_starts],
            )
        )
    paired_rows = comp[paired]
    instant_rows = comp[~paired]
    if len(instant_rows):
        issues.append(
            (
                "completes without a start",
                len(instant_rows),
                "instant activities: no hands-on time, as process-mining tools count them",
                idx[instant_rows],
            )
        )
    starts_t = np.concatenate((t[start_rows[start_used]], t[instant_rows]))
    ends_t = np.concatenate((t[paired_rows], t[instant_rows]))
    source = np.concatenate((idx[paired_rows], idx[instant_rows]))
    return Intervals(rows=source, start=starts_t, end=ends_t, issues=issues)


def status_intervals(
    case_codes: np.ndarray, n_cases: int, status_codes: np.ndarray, time: np.ndarray, waiting: np.ndarray
) -> Intervals:
    """Time in each working status of a status history, and each item's arrival and end.

    A status lasts from its row's time to the case's next row; the case's last row ends
    the item (its status has no duration). ``waiting`` flags the status codes that are
    queues: they are left out as work, so the time in them is the wait before the next
    working status (or, at the end, part of the item's flow time).
    """
    order = np.lexsort((time, case_codes))
    c, t, st = case_codes[order], time[order], status_codes[order]
    n = len(order)
    last = np.ones(n, dtype=bool)
    last[:-1] = c[1:] != c[:-1]
    following = np.empty(n, dtype=np.int64)
    following[:-1] = t[1:]
    following[last] = t[last]
    origin = np.full(n_cases, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(origin, c, t)
    close = np.full(n_cases, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(close, c, t)
    work = ~last & ~waiting[st]
    issues: list[tuple[str, int, str, np.ndarray]] = []
    issues.append(
        (
            "final statuses",
            int(last.sum()),
            "each item's last status ends it: no time is counted in it",
            order[last],
        )
    )
    return Intervals(
        rows=order[work], start=t[work], end=following[work], origin=origin, close=close, issues=issues
    )
