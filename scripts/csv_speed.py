#!/usr/bin/env python3
"""CSV read speed: Descent vs numpy.loadtxt vs pandas.read_csv on the same file (MB/s).

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/csv_speed.py [--rows 3000000] [--features 16] [--file /tmp/descent_speed.csv]
                               [--binary .build/release/descent] [--skip-numpy]
The file (~1 GB at the defaults) is written by `descent generate`, so all readers parse the
same shortest-round-trip decimals. Descent is timed as `descent solve --data FILE --json`
(load + closed-form solve; the solve's own time, printed in its JSON, is subtracted).
pandas is not a dependency of Descent: `pip install pandas` for this script only.
Each reader runs --repeats times; the best time is reported (page cache warm for all).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=3_000_000)
parser.add_argument("--features", type=int, default=16)
parser.add_argument("--file", default="/tmp/descent_speed.csv")
parser.add_argument("--binary", default=".build/release/descent")
parser.add_argument("--repeats", type=int, default=2)
parser.add_argument("--skip-numpy", action="store_true", help="numpy.loadtxt is slow; skip it")
args = parser.parse_args()

if not os.path.exists(args.file):
    subprocess.run([args.binary, "generate", "--rows", str(args.rows), "--features", str(args.features),
                    "--output", args.file, "--quiet"], check=True)
size_mb = os.path.getsize(args.file) / 1e6
print(f"file {args.file}: {size_mb:.0f} MB, {args.rows} rows x {args.features + 1} columns; {os.cpu_count()} cores")
subprocess.run(["cat", args.file], stdout=subprocess.DEVNULL, check=True)  # warm the page cache


def cpu_seconds():
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best(label, fn):
    """Best wall time of --repeats runs, with the CPU seconds of that run (a loaded machine
    inflates wall time; CPU time shows the work)."""
    runs = []
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), cpu_seconds()
        fn()
        runs.append((time.perf_counter() - start, cpu_seconds() - cpu))
    t, c = min(runs)
    print(f"{label:44s} wall {t:7.2f} s  {size_mb / t:7.1f} MB/s   cpu {c:7.2f} s  {size_mb / c:7.1f} MB per cpu-s")
    return t


def descent():
    out = subprocess.run([args.binary, "solve", "--data", args.file, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


solve_seconds = descent().get("seconds", 0.0)
t = best("descent (load + solve)", descent)
print(f"{'  load only (solve ' + format(solve_seconds, '.3f') + ' s subtracted)':44s} wall {t - solve_seconds:7.2f} s  {size_mb / (t - solve_seconds):7.1f} MB/s")
print(f"  load {os.popen('uptime').read().strip()}")

try:
    import pandas as pd
    best(f"pandas {pd.__version__} read_csv (c engine)", lambda: pd.read_csv(args.file, dtype=np.float64).to_numpy())
    try:
        import pyarrow  # noqa: F401
        best("pandas read_csv (pyarrow engine)", lambda: pd.read_csv(args.file, engine="pyarrow").to_numpy())
    except ImportError:
        print("pandas pyarrow engine: pyarrow not installed (skipped)")
except ImportError:
    print("pandas not installed: pip install pandas")

if not args.skip_numpy:
    best(f"numpy {np.__version__} loadtxt", lambda: np.loadtxt(args.file, delimiter=",", skiprows=1))
