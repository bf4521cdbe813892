#!/usr/bin/env python3
"""Peak memory of `descent train` and `descent solve` on a large .npy file (issue 6).

Generates a data set with `descent generate` (default 2,000,000 x 32 float64, about 512 MB of
features plus 16 MB of targets), then runs each command under `/usr/bin/time -v` and prints its
maximum resident set size divided by the size of the data files. The pages of a memory-mapped
file that a process has touched count in its RSS, so a run that reads the file in place and
copies nothing stays near 1.0x (the file, plus the runtime's ~25 MB); a copy of X makes it ~2x.

Checked (exit status 1 when one exceeds --limit, default 1.1):
  * train, full batch           --data X.npy --labels Y.npy --epochs 3
  * train, mini-batch           --data X.npy --labels Y.npy --batch-size 32 --epochs 2
  * train, mini-batch, standardized (rows are normalized as they are read)
  * train, full batch, standardized (the fused kernel normalizes each row block as it reads it)
  * train --validation-fraction 0.2, mini-batch and full batch (the split copies the rows by
    streaming the file in order and releasing each consumed chunk of the mapping), and with
    --normalize standardize (the validation copy is normalized in place)
  * train on a single features+target file (the features are copied chunk by chunk and each
    consumed chunk of the mapping released), full batch, and with --validation-fraction 0.2
    (full batch, mini-batch, standardized: the trainer is handed the only reference to that
    copy and permutes its rows in place instead of copying them again)
  * solve                       --data X.npy --labels Y.npy
--no-extra skips the standardized full-batch, validation-split and single-file runs.

Usage: python3 scripts/peak_memory.py [--descent .build/release/descent] [--rows N] [--features D]
       (`make peak-memory` builds the release binary and runs this.)
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def max_rss_bytes(command):
    """Runs `command` under /usr/bin/time -v; returns (max RSS in bytes, wall seconds)."""
    result = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-2000:])
        raise SystemExit("command failed ({}): {}".format(result.returncode, " ".join(command)))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", result.stderr)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return int(rss.group(1)) * 1024, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--descent", default=".build/release/descent")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--precision", choices=["float", "double"], default="double")
    parser.add_argument("--limit", type=float, default=1.1, help="the largest max-RSS / file-size ratio allowed")
    parser.add_argument("--dir", help="where to write the data (default: a temporary directory, removed after)")
    parser.add_argument("--no-extra", action="store_true", help="skip the standardized full-batch, validation-split and single-file runs")
    args = parser.parse_args()
    if not os.path.exists("/usr/bin/time"):
        raise SystemExit("/usr/bin/time is missing (apt-get install time)")
    descent = os.path.abspath(args.descent)
    directory = args.dir or tempfile.mkdtemp(prefix="descent-peak-")
    os.makedirs(directory, exist_ok=True)
    x, y, xy = (os.path.join(directory, name) for name in ("x.npy", "y.npy", "xy.npy"))
    try:
        common = ["--rows", str(args.rows), "--features", str(args.features), "--precision", args.precision, "--quiet"]
        quiet = {"stdout": subprocess.DEVNULL, "check": True}
        subprocess.run([descent, "generate", "--output", x, "--labels-output", y] + common, **quiet)
        size = os.path.getsize(x) + os.path.getsize(y)
        data = ["--data", x, "--labels", y, "--precision", args.precision, "--quiet", "--json"]
        runs = [
            ("train, full batch (--epochs 3)", [descent, "train"] + data + ["--epochs", "3", "--lr", "0.1"], size, True),
            ("train, mini-batch (--batch-size 32 --epochs 2)",
             [descent, "train"] + data + ["--batch-size", "32", "--epochs", "2", "--lr", "0.001"], size, True),
            ("train, mini-batch, --normalize standardize",
             [descent, "train"] + data + ["--batch-size", "32", "--epochs", "2", "--lr", "0.001", "--normalize", "standardize"],
             size, True),
            ("solve (auto)", [descent, "solve"] + data, size, True),
        ]
        if not args.no_extra:
            subprocess.run([descent, "generate", "--output", xy] + common, **quiet)
            single = ["--data", xy, "--precision", args.precision, "--quiet", "--json"]
            runs += [
                ("train --normalize standardize, full batch",
                 [descent, "train"] + data + ["--epochs", "3", "--lr", "0.1", "--normalize", "standardize"], size, True),
                ("train --validation-fraction 0.2, mini-batch",
                 [descent, "train"] + data + ["--batch-size", "32", "--epochs", "1", "--lr", "0.001",
                                              "--validation-fraction", "0.2"], size, True),
                ("train --validation-fraction 0.2, full batch",
                 [descent, "train"] + data + ["--epochs", "3", "--lr", "0.1", "--validation-fraction", "0.2"], size, True),
                ("train --validation-fraction 0.2, standardized",
                 [descent, "train"] + data + ["--epochs", "3", "--lr", "0.1", "--validation-fraction", "0.2",
                                              "--normalize", "standardize"], size, True),
                ("train, single file (target column), full batch",
                 [descent, "train"] + single + ["--epochs", "3", "--lr", "0.1"], os.path.getsize(xy), True),
                ("train, single file, full batch, --validation-fraction 0.2",
                 [descent, "train"] + single + ["--epochs", "3", "--lr", "0.1", "--validation-fraction", "0.2"],
                 os.path.getsize(xy), True),
                ("train, single file, mini-batch, --validation-fraction 0.2",
                 [descent, "train"] + single + ["--batch-size", "32", "--epochs", "1", "--lr", "0.001",
                                                "--validation-fraction", "0.2"], os.path.getsize(xy), True),
                ("train, single file, standardized, --validation-fraction 0.2",
                 [descent, "train"] + single + ["--epochs", "3", "--lr", "0.1", "--validation-fraction", "0.2",
                                                "--normalize", "standardize"], os.path.getsize(xy), True),
            ]
        print("data: {} x {} {} in {} ({:.1f} MB; features {:.1f} MB + targets {:.1f} MB)".format(
            args.rows, args.features, args.precision, directory, size / 1e6, os.path.getsize(x) / 1e6, os.path.getsize(y) / 1e6))
        baseline, _ = max_rss_bytes([descent, "--version"])
        print("max RSS of `descent --version` (the runtime alone): {:.1f} MB".format(baseline / 1e6))
        print()
        header = "{:<60} {:>10} {:>11} {:>7} {:>8}  {}".format("command", "file MB", "max RSS MB", "ratio", "wall s", "check")
        print(header)
        print("-" * len(header))
        failures = []
        for name, command, file_size, checked in runs:
            rss, wall = max_rss_bytes(command)
            ratio = rss / file_size
            if checked:
                verdict = "ok" if ratio <= args.limit else "FAIL (> {})".format(args.limit)
                if ratio > args.limit:
                    failures.append(name)
            else:
                verdict = "reported (known copy)"
            print("{:<60} {:>10.1f} {:>11.1f} {:>7.3f} {:>8.1f}  {}".format(name, file_size / 1e6, rss / 1e6, ratio, wall, verdict))
        if failures:
            print("\npeak memory above {}x the file for: {}".format(args.limit, ", ".join(failures)))
            return 1
        print("\nevery checked command stays within {}x the file size".format(args.limit))
        return 0
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
