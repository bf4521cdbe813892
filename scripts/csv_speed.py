#!/usr/bin/env python3
"""CSV read speed: Descent vs numpy.loadtxt vs pandas.read_csv on the same file.

Usage (from the repository root, after `swift build -c release`):
  python3 scripts/csv_speed.py [--rows 3000000] [--features 16] [--file /tmp/descent_speed.csv]
                               [--binary .build/release/descent] [--repeats 3] [--skip-numpy]
The file (~1 GB at the defaults) is written by `descent generate`, so all readers parse the
same shortest-round-trip decimals (16-17 significant digits). Descent is timed as
`descent solve --data FILE --json` (load + closed-form solve; the solve's own wall time,
printed in its JSON, is subtracted for the "load only" line; its CPU time, well under 0.1 s
of CPU on 3M x 16, is left in). Descent parses on all cores, pandas and NumPy on one: the
table gives wall-clock MB/s and MB per CPU-second (user + system), so both are visible, and
Descent runs once more pinned to one core (`taskset -c 0`) for a one-core wall clock.
The readers run in rounds (one run of each per round, page cache warm), --repeats rounds;
the medians are reported (numpy.loadtxt, being slow, runs in the first round only), with
the load average before and after, since the machine may be shared.
pandas is not a dependency of Descent: `pip install pandas` for this script only.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=3_000_000)
parser.add_argument("--features", type=int, default=16)
parser.add_argument("--file", default="/tmp/descent_speed.csv")
parser.add_argument("--binary", default=".build/release/descent")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--skip-numpy", action="store_true", help="numpy.loadtxt is slow; skip it")
args = parser.parse_args()

if not os.path.exists(args.file):
    subprocess.run([args.binary, "generate", "--rows", str(args.rows), "--features", str(args.features),
                    "--output", args.file, "--quiet"], check=True)
size_mb = os.path.getsize(args.file) / 1e6
with open(args.file) as f:
    columns = f.readline().count(",") + 1
print(f"file {args.file}: {size_mb:.0f} MB, {columns} columns; {os.cpu_count()} cores")
subprocess.run(["cat", args.file], stdout=subprocess.DEVNULL, check=True)  # warm the page cache


def cpu_seconds():
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def descent(prefix=()):
    out = subprocess.run([*prefix, args.binary, "solve", "--data", args.file, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout).get("seconds", 0.0)


readers = [("descent (load + solve)", descent)]
if shutil.which("taskset"):
    readers.append(("descent on one core (taskset -c 0)", lambda: descent(("taskset", "-c", "0"))))
try:
    import pandas as pd
    readers.append((f"pandas {pd.__version__} read_csv (c engine)",
                    lambda: pd.read_csv(args.file, dtype=np.float64).to_numpy()))
    try:
        import pyarrow  # noqa: F401
        readers.append(("pandas read_csv (pyarrow engine)", lambda: pd.read_csv(args.file, engine="pyarrow").to_numpy()))
    except ImportError:
        print("pandas pyarrow engine: pyarrow not installed (skipped)")
except ImportError:
    print("pandas not installed: pip install pandas")
if not args.skip_numpy:
    readers.append((f"numpy {np.__version__} loadtxt", lambda: np.loadtxt(args.file, delimiter=",", skiprows=1)))

runs = {label: [] for label, _ in readers}
solve_seconds = {}
print(f"load average before: {load_average()}")
for round_index in range(args.repeats):
    for label, fn in readers:
        if label.startswith("numpy") and round_index > 0:
            continue
        start, cpu = time.perf_counter(), cpu_seconds()
        result = fn()
        wall, used = time.perf_counter() - start, cpu_seconds() - cpu
        runs[label].append((wall, used))
        if label.startswith("descent"):
            solve_seconds.setdefault(label, []).append(result)
        print(f"  round {round_index + 1}: {label:44s} wall {wall:7.2f} s  cpu {used:7.2f} s", flush=True)
print(f"load average after:  {load_average()}")

print(f"\n{'medians':44s} {'runs':>4s} {'wall s':>8s} {'MB/s':>8s} {'cpu s':>8s} {'MB/cpu-s':>9s}")
for label, _ in readers:
    wall = statistics.median(w for w, _ in runs[label])
    cpu = statistics.median(c for _, c in runs[label])
    print(f"{label:44s} {len(runs[label]):4d} {wall:8.2f} {size_mb / wall:8.1f} {cpu:8.2f} {size_mb / cpu:9.1f}")
    if label.startswith("descent"):
        load_wall = statistics.median(w - s for (w, _), s in zip(runs[label], solve_seconds[label]))
        print(f"{'  load only (solve wall time subtracted)':44s} {len(runs[label]):4d} {load_wall:8.2f} {size_mb / load_wall:8.1f}")
