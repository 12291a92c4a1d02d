"""Per-stage statistics of a large event log: vsm_widget against pm4py.

Run ``python benchmarks/eventlog.py`` (200,000 items x 6 stages = 1.2 million events,
shuffled) in the three shapes real logs have: nanosecond times with plain numeric case
ids (``ns-int``), whole seconds with ``CASE-n`` text ids (``sec-text``), and
time-zone-aware times with UUID ids (``tz-uuid``); ``--shape`` picks one. ``--large``
adds a log of 10 million events; ``--duckdb`` also times the same frame as a DuckDB
relation; ``--duckdb-events N --memory-limit 2GB`` builds N events inside a DuckDB
database file (never in Python) and reduces them there under that memory limit. The rival, pm4py's
``discover_performance_dfg``, runs in its own environment (pm4py is AGPL and never a
dependency of vsm_widget): create it once with ``--setup-rival``, which makes
``benchmarks/.venv-rival`` from ``benchmarks/rival-requirements.txt``. Without it the
rival is skipped and the script says how to get it.

Printed: the frame's size, our best and median time from the frame to the per-stage
statistics (checking, factorising, sorting, order discovery and statistics all
included), our peak memory against the frame's size (tracemalloc, and the rise of
resident memory in a child process, which also counts arrow's buffers), the rival's
time on the very same frame (handed over by pickle) twice: ``discover_performance_dfg``
alone on a frame already put through pm4py's ``format_dataframe`` (the usual way to
quote it), and ``format_dataframe`` + ``discover_performance_dfg`` (the same starting
point as ours), then the ratios. The machine's load average is printed too: on a shared
machine the figures are noisy. Exits non-zero only on a crash: a missed goal is a
finding to report, not a failure of the script.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from vsm_widget.data.eventlog import EventLog

HERE = Path(__file__).resolve().parent
RIVAL_VENV = HERE / ".venv-rival"
RIVAL_PYTHON = RIVAL_VENV / "bin" / "python"
STAGES = ("Intake", "Triage", "Build", "Review", "Test", "Deploy")
# Median hands-on and wait seconds per stage (lognormal around these).
HANDS_ON = (600, 1800, 14400, 3600, 5400, 900)
WAITS = (0, 7200, 86400, 28800, 43200, 14400)
GOAL_SECONDS = 0.5
GOAL_RATIO = 10.0
GOAL_MEMORY = 3.0

RIVAL_CODE = """
import pickle, sys, time, warnings
warnings.filterwarnings("ignore")
import pm4py
with open(sys.argv[1], "rb") as fh:
    raw = pickle.load(fh)
if raw["case"].dtype.kind in "iu":
    raw["case"] = raw["case"].astype(str)  # pm4py refuses numeric case ids (untimed)
plain, formatted, direct = [], [], []
for _ in range(int(sys.argv[2])):
    frame = raw.copy()
    t0 = time.perf_counter()
    pm4py.discover_performance_dfg(frame, case_id_key="case", activity_key="activity", timestamp_key="end")
    direct.append(time.perf_counter() - t0)
    frame = raw.copy()
    t0 = time.perf_counter()
    df = pm4py.format_dataframe(frame, case_id="case", activity_key="activity", timestamp_key="end")
    t1 = time.perf_counter()
    pm4py.discover_performance_dfg(df)
    t2 = time.perf_counter()
    plain.append(t2 - t1)
    formatted.append(t2 - t0)
med = lambda v: sorted(v)[len(v) // 2]
print(min(plain), med(plain), min(formatted), med(formatted), min(direct), med(direct))
"""


SHAPES = ("ns-int", "sec-text", "tz-uuid")


def generate(cases: int, seed: int = 7, shape: str = "sec-text") -> pd.DataFrame:
    """``cases`` items through the six stages in order, rows shuffled, in one of :data:`SHAPES`."""
    rng = np.random.default_rng(seed)
    k = len(STAGES)
    arrival = rng.integers(0, 365 * 86400, cases)
    hands = np.rint(rng.lognormal(np.log(HANDS_ON), 0.5, (cases, k))).astype(np.int64)
    waits = np.rint(rng.lognormal(np.log(np.maximum(WAITS, 1)), 0.8, (cases, k))).astype(np.int64)
    waits[:, 0] = 0
    steps = waits + hands
    ends = arrival[:, None] + np.cumsum(steps, axis=1)
    starts = ends - hands
    base = np.datetime64("2025-01-01T00:00:00", "ns")
    shuffle = rng.permutation(cases * k)
    start_ns = starts.ravel()[shuffle] * 1_000_000_000
    end_ns = ends.ravel()[shuffle] * 1_000_000_000
    if shape == "ns-int":
        # Sub-second clocks: every time has its own nanoseconds.
        jitter = rng.integers(0, 1_000_000_000, (2, cases * k))
        start_ns, end_ns = start_ns + jitter[0] // 2, end_ns + 500_000_000 + jitter[1] // 2
        case: object = np.repeat(np.arange(cases, dtype=np.int64) + 10_000_000, k)[shuffle]
    elif shape == "tz-uuid":
        raw = rng.integers(0, 256, (cases, 16), dtype=np.uint8)
        ids = [str(uuid.UUID(bytes=row.tobytes(), version=4)) for row in raw]
        case = pd.array(np.repeat(np.array(ids, dtype=object), k)[shuffle], dtype="str")
    else:
        ids_text = np.char.add("CASE-", np.arange(cases).astype(str))
        case = pd.array(np.repeat(ids_text, k)[shuffle], dtype="str")
    start = pd.Series(base + start_ns.astype("timedelta64[ns]"))
    end = pd.Series(base + end_ns.astype("timedelta64[ns]"))
    if shape == "tz-uuid":
        start = start.dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
        end = end.dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    return pd.DataFrame(
        {
            "case": case,
            "activity": pd.array(np.tile(np.array(STAGES), cases)[shuffle], dtype="str"),
            "start": start,
            "end": end,
        }
    )


def ours(frame: object) -> pd.DataFrame:
    log = EventLog(frame, case="case", activity="activity", start="start", end="end")
    return log.stage_stats()


def time_ours(frame: object, repeats: int) -> tuple[float, float, pd.DataFrame]:
    times = []
    result = pd.DataFrame()
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = ours(frame)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def peak_memory(frame: pd.DataFrame) -> int:
    """Peak bytes that tracemalloc sees while reducing the frame (Python and numpy)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    ours(frame)
    traced = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return traced


def resident_rise(cases: int, shape: str) -> int | None:
    """Peak rise of resident memory while reducing a fresh frame, in a child process.

    Counts every allocator (arrow's too). The child maps every allocation above 64 KiB
    on its own, so freed memory goes back at once and the peak is the live peak. Linux
    only (``None`` elsewhere).
    """
    if not Path("/proc/self/clear_refs").exists():
        return None
    code = (
        "import gc, sys; sys.path.insert(0, sys.argv[1]); import eventlog as b; "
        "frame = b.generate(int(sys.argv[2]), shape=sys.argv[3]); gc.collect(); "
        "print(b._resident_peak_of(lambda: b.ours(frame)))"
    )
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(HERE), str(cases), shape],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return int(done.stdout.split()[-1])


def _resident_peak_of(work: Callable[[], object]) -> int:
    # Writing 5 to clear_refs resets the peak resident size (VmHWM) to the current one.
    Path("/proc/self/clear_refs").write_text("5")
    baseline = _status_kib("VmRSS")
    work()
    return (_status_kib("VmHWM") - baseline) * 1024


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(field)


def setup_rival() -> None:
    if not RIVAL_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(RIVAL_VENV)], check=True)
    subprocess.run(
        [str(RIVAL_PYTHON), "-m", "pip", "install", "-q", "-r", str(HERE / "rival-requirements.txt")],
        check=True,
    )


def time_rival(frame: pd.DataFrame, repeats: int) -> tuple[float, ...] | None:
    """pm4py's best and median times: on a formatted frame, with ``format_dataframe``,
    and on the raw frame with the column names passed as keys.
    """
    if not RIVAL_PYTHON.exists():
        print("  rival: skipped (run `python benchmarks/eventlog.py --setup-rival` once)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.pkl"
        with open(path, "wb") as fh:
            pickle.dump(frame[["case", "activity", "end"]], fh, protocol=pickle.HIGHEST_PROTOCOL)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        done = subprocess.run(
            [str(RIVAL_PYTHON), "-c", RIVAL_CODE, str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"  rival: failed ({last}); run `python benchmarks/eventlog.py --setup-rival` again")
        return None
    return tuple(float(x) for x in done.stdout.strip().splitlines()[-1].split())


def run(cases: int, repeats: int, rival_repeats: int, with_duckdb: bool, shape: str) -> None:
    frame = generate(cases, shape=shape)
    size = int(frame.memory_usage(deep=True).sum())
    print(
        f"\n[{shape}] {len(frame):,} events, {cases:,} items x {len(STAGES)} stages; "
        f"case ids {frame['case'].dtype}, times {frame['end'].dtype}; frame {size / 2**20:.0f} MiB"
    )
    best, median, result = time_ours(frame, repeats)
    goal = "meets" if best < GOAL_SECONDS else "misses"
    print(f"  vsm_widget: best {best:.3f} s, median {median:.3f} s ({goal} the {GOAL_SECONDS} s goal)")
    traced = peak_memory(frame)
    rss = resident_rise(cases, shape)
    peak = max(traced, rss or 0)
    rss_text = "n/a" if rss is None else f"{rss / 2**20:.0f} MiB"
    print(
        f"  peak memory: tracemalloc {traced / 2**20:.0f} MiB, resident rise {rss_text}; "
        f"larger = {peak / size:.2f} x the frame "
        f"({'meets' if peak / size < GOAL_MEMORY else 'misses'} the {GOAL_MEMORY:g} x goal)"
    )
    found = result["hands_on_median"].round(0).astype(int).to_dict()
    print(
        f"  hands-on medians found (s): {found}; generated around {dict(zip(STAGES, HANDS_ON, strict=True))}"
    )
    if with_duckdb:
        import duckdb

        connection = duckdb.connect()
        relation = connection.from_df(frame)
        d_best, d_median, _ = time_ours(relation, max(1, repeats // 2))
        print(
            f"  vsm_widget on a DuckDB relation: best {d_best:.3f} s, median {d_median:.3f} s "
            f"({d_best / best:.2f} x the pandas path)"
        )
    rival = time_rival(frame, rival_repeats)
    if rival is not None:
        r_best, r_median, f_best, f_median, d_best, d_median = rival
        ratio = r_best / best
        print(
            f"  pm4py discover_performance_dfg (frame already formatted, format_dataframe untimed): "
            f"best {r_best:.3f} s, median {r_median:.3f} s"
        )
        print(
            f"  pm4py format_dataframe + discover_performance_dfg (from the same frame as ours): "
            f"best {f_best:.3f} s, median {f_median:.3f} s"
        )
        print(
            f"  pm4py discover_performance_dfg on the raw frame, column names as keys: "
            f"best {d_best:.3f} s, median {d_median:.3f} s"
        )
        print(
            f"  ratio (best against best): {ratio:.1f} x faster than discover_performance_dfg alone "
            f"({'meets' if ratio >= GOAL_RATIO else 'misses'} the {GOAL_RATIO:g} x goal); "
            f"{d_best / best:.1f} x on the raw frame; {f_best / best:.1f} x counting format_dataframe"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rival-repeats", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also 10 million events")
    parser.add_argument("--duckdb", action="store_true", help="also time the frame as a DuckDB relation")
    parser.add_argument("--setup-rival", action="store_true", help="create the rival's venv and exit")
    parser.add_argument("--shape", choices=SHAPES, help="only this shape of log")
    parser.add_argument("--duckdb-events", type=int, help="reduce this many events built inside DuckDB")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB's memory limit for --duckdb-events")
    args = parser.parse_args()
    if args.setup_rival:
        setup_rival()
        return 0
    if args.duckdb_events:
        duckdb_at_scale(args.duckdb_events, args.memory_limit)
        return 0
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(
        f"machine: {os.cpu_count()} cores, load average {load}; "
        f"python {sys.version.split()[0]}; pandas {pd.__version__}; numpy {np.__version__}"
    )
    for shape in [args.shape] if args.shape else SHAPES:
        run(args.cases, args.repeats, args.rival_repeats, args.duckdb, shape)
        if args.large:
            run(10_000_000 // len(STAGES), max(1, args.repeats // 2), 1, args.duckdb, shape)
    return 0


def duckdb_at_scale(events: int, memory_limit: str) -> None:
    """``events`` events made by SQL in a DuckDB file, reduced there under ``memory_limit``.

    The events never pass through Python: only one row per stage and one per item come
    back. Printed: the time to reduce, DuckDB's own peak (its buffer manager's
    high-water mark is bounded by the limit) and the process's peak resident memory,
    which also counts the per-item frame in Python.
    """
    import resource

    import duckdb

    cases = events // len(STAGES)
    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect(str(Path(folder) / "log.duckdb"))
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{folder}/spill'")
        t0 = time.perf_counter()
        stages = "[" + ", ".join(f"'{name}'" for name in STAGES) + "]"
        # Each item i arrives at a hashed second of the year; stage j starts after the
        # previous one plus a hashed wait and lasts a hashed hands-on time.
        con.execute(
            f"""CREATE TABLE log AS
            WITH items AS (SELECT i, (hash(i) % (365 * 86400))::BIGINT AS arrival FROM range({cases}) r(i)),
            steps AS (SELECT i, j, arrival + j * 86400 AS begins FROM items, range({len(STAGES)}) s(j))
            SELECT 'CASE-' || i AS "case", {stages}[j + 1] AS activity,
                TIMESTAMP '2025-01-01' + to_seconds(begins + (hash(i, j) % 3600)::BIGINT) AS start,
                TIMESTAMP '2025-01-01' + to_seconds(begins + 3600 + (hash(i, j) % 7200)::BIGINT) AS "end"
            FROM steps"""
        )
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        log = EventLog(con.table("log"), case="case", activity="activity", start="start", end="end")
        took = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(
            f"DuckDB, {cases * len(STAGES):,} events built in SQL ({built:.0f} s), "
            f"memory_limit {memory_limit}: "
            f"reduced in {took:.1f} s; {log!r}; process peak resident {peak:.2f} GiB"
        )
        con.close()


if __name__ == "__main__":
    sys.exit(main())
