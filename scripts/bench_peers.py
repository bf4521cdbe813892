#!/usr/bin/env python3
"""Descent against NumPy (and PyTorch when importable) on the very same .npy file.

Runs `descent bench --data FILE --json` and the peers' equivalent measurements in the same
invocation, alternating them round by round so that machine noise hits every contender alike,
then prints one table with medians and ratios.

What each peer measures (per round, `--repeats` timed samples after one warm-up):
  * one full-batch epoch of the MSE gradient, the textbook way: r = X@w + b - y, g = 2/n X.T@r
  * a streaming read of X: `X @ ones` (a BLAS gemv, multi-threaded) and `X.sum()` (NumPy's
    pairwise sum, one thread); Descent reports its own SIMD read pass on all cores
  * closed form: numpy.linalg.lstsq (SVD, gelsd) and the normal equations (X'X then solve)
  * mini-batch SGD samples/s at batch 1, 32, 256, 4096 with reshuffling, plain NumPy
    (and PyTorch's standard nn.Linear / MSELoss / optim.SGD loop); time-budgeted: a batch
    size runs until one epoch is done or `--minibatch-seconds` have passed

Usage:
  scripts/bench_peers.py --data data.npy [--labels y.npy] [--descent .build/release/descent]
  scripts/bench_peers.py --rows 1000000 --features 16 --precision double   # generates the file

The data file: without --labels, the last column is the target (what `descent generate`
writes); the features are copied once into a C-contiguous array, as Descent does.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported, not hidden
    sys.exit("bench_peers.py needs numpy: pip install numpy")

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def log(message):
    print(message, file=sys.stderr, flush=True)


def stats(samples):
    samples = sorted(samples)
    n = len(samples)
    median = samples[n // 2] if n % 2 else 0.5 * (samples[n // 2 - 1] + samples[n // 2])
    return {"median": median, "min": samples[0], "max": samples[-1], "samples": samples}


def timed(function, repeats):
    function()  # warm-up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        out.append(time.perf_counter() - start)
    return out


# --------------------------------------------------------------------------- environment


def environment():
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "torch": None,
    }
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        info["numpy_blas"] = "{} {} ({})".format(blas.get("name"), blas.get("version"), blas.get("openblas configuration", ""))
    except Exception as error:  # numpy < 2 or unusual builds
        info["numpy_blas"] = "unknown ({})".format(error)
    try:
        import threadpoolctl

        info["threadpools"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "filepath")}
            for pool in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = "threadpoolctl not installed (pip install threadpoolctl to list BLAS thread pools)"
    if HAVE_TORCH:
        import torch

        info["torch"] = "{} ({} threads)".format(torch.__version__, torch.get_num_threads())
    return info


# --------------------------------------------------------------------------- data


def generate(args, descent):
    """Writes a synthetic file with `descent generate`; falls back to NumPy, saying so."""
    path = os.path.join(tempfile.gettempdir(), "descent-peers-{}x{}-{}.npy".format(args.rows, args.features, args.precision))
    if descent:
        command = [descent, "generate", "--rows", str(args.rows), "--features", str(args.features),
                   "--precision", args.precision, "--seed", str(args.seed), "--output", path]
        log("generating with: " + " ".join(command))
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0 and os.path.exists(path):
            return path, "descent generate"
        log("descent generate failed ({}): {}".format(result.returncode, result.stderr.strip()[:300]))
    log("writing the data with NumPy instead (seeded, standard-normal features, last column the target)")
    dtype = np.float32 if args.precision == "float" else np.float64
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.rows, args.features)).astype(dtype)
    w = rng.uniform(-1, 1, args.features)
    y = (x @ w.astype(dtype) + 0.5 + 0.1 * rng.standard_normal(args.rows)).astype(dtype)
    np.save(path, np.column_stack([x, y]))
    return path, "numpy fallback"


def load(path, labels):
    array = np.load(path, mmap_mode="r")
    if labels:
        x = np.ascontiguousarray(array)
        y = np.ascontiguousarray(np.load(labels, mmap_mode="r")).reshape(-1).astype(x.dtype, copy=False)
    else:
        if array.ndim != 2 or array.shape[1] < 2:
            sys.exit("{}: expected a 2-D array with the target as its last column, found shape {}".format(path, array.shape))
        x = np.ascontiguousarray(array[:, :-1])
        y = np.ascontiguousarray(array[:, -1])
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
        y = y.astype(np.float64)
    return x, y


# --------------------------------------------------------------------------- NumPy


def numpy_measurements(x, y, args):
    n, d = x.shape
    dt = x.dtype
    rng = np.random.default_rng(7)
    w = rng.uniform(-1, 1, d).astype(dt)
    b = dt.type(0.25)
    ones = np.ones(d, dtype=dt)
    out = {}

    def epoch():
        r = x @ w + b - y
        g = (2.0 / n) * (x.T @ r)
        return g, 2.0 * r.mean(), r @ r / n

    out["epoch"] = timed(epoch, args.repeats)
    out["read_gemv"] = timed(lambda: x @ ones, args.repeats)
    out["read_sum"] = timed(lambda: x.sum(), args.repeats)
    return out


def numpy_solves(x, y, args):
    n, d = x.shape
    design = np.empty((n, d + 1), dtype=x.dtype)  # built once, outside the timing
    design[:, :d] = x
    design[:, d] = 1
    out = {}
    out["lstsq"] = timed(lambda: np.linalg.lstsq(design, y, rcond=None), max(1, min(args.repeats, 3)))

    def normal():
        g = design.T @ design
        return np.linalg.solve(g, design.T @ y)

    out["normal"] = timed(normal, max(1, min(args.repeats, 3)))
    return out


def numpy_minibatch(x, y, batch, budget, lr=1e-4):
    n, d = x.shape
    rng = np.random.default_rng(3)
    w = np.zeros(d, dtype=x.dtype)
    b = x.dtype.type(0)
    processed = 0
    start = time.perf_counter()
    order = rng.permutation(n)  # reshuffling is part of the cost
    for lower in range(0, n, batch):
        index = order[lower:lower + batch]
        xb, yb = x[index], y[index]
        r = xb @ w + b - yb
        m = len(index)
        w -= lr * (2.0 / m) * (xb.T @ r)
        b -= lr * 2.0 * r.mean()
        processed += m
        if time.perf_counter() - start > budget:
            break
    return processed / (time.perf_counter() - start)


# --------------------------------------------------------------------------- PyTorch


def torch_measurements(x, y, args):
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)  # zero-copy
    n, d = x.shape
    w = torch.from_numpy(np.random.default_rng(7).uniform(-1, 1, d).astype(x.dtype))
    b = 0.25

    def epoch():
        r = xt @ w + b - yt
        return (2.0 / n) * (xt.T @ r), 2.0 * r.mean()

    return {"epoch": timed(epoch, args.repeats)}


def torch_minibatch(x, y, batch, budget, lr=1e-4):
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n, d = x.shape
    model = torch.nn.Linear(d, 1).to(xt.dtype)
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    processed = 0
    start = time.perf_counter()
    order = torch.randperm(n)
    for lower in range(0, n, batch):
        index = order[lower:lower + batch]
        xb, yb = xt[index], yt[index]
        optimizer.zero_grad()
        loss = loss_fn(model(xb).squeeze(1), yb)
        loss.backward()
        optimizer.step()
        processed += len(index)
        if time.perf_counter() - start > budget:
            break
    return processed / (time.perf_counter() - start)


# --------------------------------------------------------------------------- Descent


def run_descent(descent, args, data):
    command = [descent, "bench", "--data", data, "--json", "--repeats", str(args.repeats),
               "--batch-sizes", ",".join(str(b) for b in args.batch_sizes) or "none",
               "--minibatch-rows", str(args.minibatch_rows)]
    if args.labels:
        command += ["--labels", args.labels]
    if args.threads:
        command += ["--threads", str(args.threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        log("descent bench failed ({}): {}".format(result.returncode, result.stderr.strip()[:500]))
        return None
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- report


def fmt_seconds(value):
    if value is None:
        return "—"
    if value < 1e-3:
        return "{:.1f} µs".format(value * 1e6)
    if value < 1:
        return "{:.2f} ms".format(value * 1e3)
    return "{:.3f} s".format(value)


def fmt_rate(value):
    if value is None:
        return "—"
    if value >= 1e6:
        return "{:.2f} M/s".format(value / 1e6)
    return "{:.1f} k/s".format(value / 1e3)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return "{:.2f}×".format(a / b)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help=".npy file (as `descent generate` writes it); generated when absent")
    parser.add_argument("--labels", help="separate 1-D .npy of targets")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--precision", choices=["float", "double"], default="double")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--descent", default=None, help="descent binary (default: .build/release/descent, then PATH)")
    parser.add_argument("--threads", type=int, help="OpenBLAS threads for descent (NumPy: set OPENBLAS_NUM_THREADS)")
    parser.add_argument("--repeats", type=int, default=5, help="timed samples per measurement and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of descent and the peers")
    parser.add_argument("--batch-sizes", type=lambda s: [] if s == "none" else [int(v) for v in s.split(",")],
                        default=[1, 32, 256, 4096], help="comma-separated, or 'none' to skip mini-batches")
    parser.add_argument("--minibatch-rows", type=int, default=1_000_000)
    parser.add_argument("--minibatch-seconds", type=float, default=2.0, help="time budget per peer batch size")
    parser.add_argument("--no-solve", action="store_true", help="skip the closed-form solvers")
    parser.add_argument("--json", help="also write every sample here")
    args = parser.parse_args()

    descent = args.descent
    if descent is None:
        for candidate in (".build/release/descent", shutil.which("descent")):
            if candidate and os.path.exists(candidate):
                descent = candidate
                break
    if descent is None:
        log("no descent binary found (build with `swift build -c release`); measuring the peers only")

    env = environment()
    if args.data:
        data, origin = args.data, "given"
    else:
        data, origin = generate(args, descent)
    x, y = load(data, args.labels)
    n, d = x.shape
    log("data: {} ({}) — {} × {} {}".format(data, origin, n, d, x.dtype))
    log("numpy {} BLAS: {}".format(env["numpy"], env["numpy_blas"]))
    log("OPENBLAS_CORETYPE={}".format(env["OPENBLAS_CORETYPE"]))
    if not HAVE_TORCH:
        log("PyTorch is not installed: its columns are left empty "
            "(pip install torch, from PyPI, to add them; make bench-peers tries)")

    samples = {"descent": [], "numpy": {"epoch": [], "read_gemv": [], "read_sum": [], "lstsq": [], "normal": []},
               "torch": {"epoch": []}, "numpy_minibatch": {}, "torch_minibatch": {}}
    minibatch_x, minibatch_y = x[: min(n, args.minibatch_rows)], y[: min(n, args.minibatch_rows)]
    for round_index in range(args.rounds):
        if descent:
            log("round {}: descent bench".format(round_index + 1))
            report = run_descent(descent, args, data)
            if report:
                samples["descent"].append(report)
        log("round {}: numpy".format(round_index + 1))
        for key, values in numpy_measurements(x, y, args).items():
            samples["numpy"][key] += values
        if not args.no_solve:
            for key, values in numpy_solves(x, y, args).items():
                samples["numpy"][key] += values
        for batch in args.batch_sizes:
            rate = numpy_minibatch(minibatch_x, minibatch_y, batch, args.minibatch_seconds)
            samples["numpy_minibatch"].setdefault(batch, []).append(rate)
        if HAVE_TORCH:
            log("round {}: torch".format(round_index + 1))
            samples["torch"]["epoch"] += torch_measurements(x, y, args)["epoch"]
            for batch in args.batch_sizes:
                rate = torch_minibatch(minibatch_x, minibatch_y, batch, args.minibatch_seconds)
                samples["torch_minibatch"].setdefault(batch, []).append(rate)

    # Descent: the median over rounds of each round's median.
    def descent_value(*path):
        values = []
        for report in samples["descent"]:
            node = report
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, (int, float)):
                values.append(float(node))
        return stats(values)["median"] if values else None

    def peer(group, key):
        values = samples[group].get(key, [])
        return stats(values)["median"] if values else None

    def peer_rate(group, batch):
        values = samples[group].get(batch, [])
        return stats(values)["median"] if values else None

    read_descent = descent_value("read_pass_seconds", "median")
    rows = [
        ("read pass of X", read_descent, peer("numpy", "read_gemv"), None,
         "Descent: SIMD sum on all cores; NumPy: X @ ones (gemv)"),
        ("X.sum() (NumPy, 1 thread)", None, peer("numpy", "read_sum"), None, ""),
        ("epoch: fused", descent_value("epoch_seconds", "fused", "median"), peer("numpy", "epoch"), peer("torch", "epoch"),
         "peers: X@w, X.T@r"),
        ("epoch: two gemv", descent_value("epoch_seconds", "two_gemv", "median"), peer("numpy", "epoch"), peer("torch", "epoch"), ""),
        ("epoch: Gram (O(d²))", descent_value("epoch_seconds", "gram", "median"), peer("numpy", "epoch"), peer("torch", "epoch"), ""),
    ]
    if not args.no_solve:
        rows += [
            ("solve: auto vs lstsq", descent_value("solve_seconds", "auto", "median"), peer("numpy", "lstsq"), None, ""),
            ("solve: normal vs normal eq.", descent_value("solve_seconds", "normal", "median"), peer("numpy", "normal"), None, ""),
            ("solve: svd vs lstsq", descent_value("solve_seconds", "svd", "median"), peer("numpy", "lstsq"), None, ""),
        ]

    print()
    print("Descent vs NumPy{} on {} ({} × {} {}, {}), medians of {} alternating rounds".format(
        " and PyTorch" if HAVE_TORCH else " (PyTorch not installed)", data, n, d, x.dtype, origin, args.rounds))
    if samples["descent"]:
        first = samples["descent"][0]
        print("Descent: OpenBLAS {} (core {}), {} threads".format(first.get("openblas"), first.get("openblas_core"), first.get("threads")))
    print("NumPy {}: {}; OPENBLAS_CORETYPE={}".format(env["numpy"], env["numpy_blas"], env["OPENBLAS_CORETYPE"]))
    print()
    header = "{:<30} {:>12} {:>12} {:>12} {:>12} {:>12}".format("time (lower is better)", "Descent", "NumPy", "PyTorch", "NumPy/Desc.", "Torch/Desc.")
    print(header)
    print("-" * len(header))
    for name, ours, numpy_value, torch_value, note in rows:
        print("{:<30} {:>12} {:>12} {:>12} {:>12} {:>12}  {}".format(
            name, fmt_seconds(ours), fmt_seconds(numpy_value), fmt_seconds(torch_value),
            ratio(numpy_value, ours), ratio(torch_value, ours), note))
    if read_descent:
        fused = descent_value("epoch_seconds", "fused", "median")
        print("{:<30} {:>12}".format("fused / read pass", ratio(fused, read_descent)))
        print("{:<30} {:>12}".format("NumPy epoch / Descent read", ratio(peer("numpy", "epoch"), read_descent)))
    print()
    # Descent: median per-epoch rate over the epochs after the first of one run (wall clock; and
    # per CPU-second of the process). Peers: one time-budgeted pass (randperm included).
    header = "{:<30} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}".format(
        "mini-batch samples/s", "Descent", "Desc. /CPU-s", "NumPy", "PyTorch", "Desc./NumPy", "Desc./Torch")
    print(header)
    print("-" * len(header))
    for batch in args.batch_sizes:
        ours = descent_value("minibatch_samples_per_second", str(batch))
        ours_cpu = descent_value("minibatch_samples_per_cpu_second", str(batch))
        numpy_rate, torch_rate = peer_rate("numpy_minibatch", batch), peer_rate("torch_minibatch", batch)
        print("{:<30} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}".format(
            "batch {}".format(batch), fmt_rate(ours), fmt_rate(ours_cpu), fmt_rate(numpy_rate), fmt_rate(torch_rate),
            ratio(ours, numpy_rate), ratio(ours, torch_rate)))

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"environment": env, "data": data, "origin": origin, "shape": [n, d], "dtype": str(x.dtype),
                       "samples": {k: ({str(b): v for b, v in val.items()} if isinstance(val, dict) else val)
                                   for k, val in samples.items()}}, handle, indent=1, default=str)
        log("wrote " + args.json)


if __name__ == "__main__":
    main()
