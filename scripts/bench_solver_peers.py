#!/usr/bin/env python3
"""Peer timings for `descent solve` (issue 4): least squares with an intercept on n x d float64
data, the same distribution as `descent solve --data synthetic` (standard-normal features,
y = Xw + b + 0.1 noise). Times numpy.linalg.lstsq (gelsd) on [X 1], scipy gelsy, and the
normal equations the way NumPy users write them (centre, X.T @ X, cho_solve).

    python3 scripts/bench_solver_peers.py [ROWS] [FEATURES]
"""
import sys
import time

import numpy as np
import scipy.linalg

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000_000
d = int(sys.argv[2]) if len(sys.argv) > 2 else 32
rng = np.random.default_rng(42)
X = rng.standard_normal((n, d))
w = rng.uniform(-1, 1, d)
y = X @ w + 0.3 + 0.1 * rng.standard_normal(n)
np.show_config() if "--config" in sys.argv else None


def best(f, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def normal_equations():
    mx, my = X.mean(axis=0), y.mean()
    Xc = X - mx
    G = Xc.T @ Xc
    g = Xc.T @ (y - my)
    c = scipy.linalg.cho_factor(G)
    return scipy.linalg.cho_solve(c, g)


def normal_uncentred():
    A = X  # the Gram of raw X only (a lower bound: no centring, no intercept)
    return A.T @ A


def lstsq():
    A = np.hstack([X, np.ones((n, 1))])
    return np.linalg.lstsq(A, y, rcond=None)[0]


def gelsy():
    A = np.hstack([X, np.ones((n, 1))])
    return scipy.linalg.lstsq(A, y, lapack_driver="gelsy")[0]


print(f"numpy {np.__version__}, scipy {scipy.__version__}, {n} x {d} float64")
print(f"X.T @ X alone (one syrk-like pass)        {best(normal_uncentred):.3f} s")
print(f"normal equations, centred (numpy+scipy)   {best(normal_equations):.3f} s")
print(f"numpy.linalg.lstsq (gelsd) on [X 1]       {best(lstsq, 1):.3f} s")
print(f"scipy.linalg.lstsq gelsy on [X 1]         {best(gelsy, 1):.3f} s")
