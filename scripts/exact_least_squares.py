#!/usr/bin/env python3
"""Exact least-squares references for the solver tests (issue 4).

Builds small, deliberately ill-conditioned problems, stores the data exactly as the binary
floats the tests will load, and solves least squares *with an intercept* in exact rational
arithmetic (Python `fractions`; `sympy` for the minimum-norm pseudo-inverse), so the
reference has no rounding error at all. The exact answer is then rounded once to the nearest
float64. For comparison it also records the relative error of what people use today:
`numpy.linalg.lstsq` and SciPy's `gelsy` on the design with a column of ones.

Writes Tests/DescentTests/Fixtures/exact_least_squares.json. Run from the repository root:
    python3 scripts/exact_least_squares.py
"""
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.linalg
import sympy

OUT = Path(__file__).resolve().parent.parent / "Tests/DescentTests/Fixtures/exact_least_squares.json"


def exact_fit(X, y):
    """Exact (w, b) minimizing sum (x.w + b - y)^2, by centring and Gaussian elimination."""
    n, d = len(X), len(X[0])
    X = [[Fraction(v) for v in row] for row in X]
    y = [Fraction(v) for v in y]
    mx = [sum(X[i][j] for i in range(n)) / n for j in range(d)]
    my = sum(y) / n
    Xc = [[X[i][j] - mx[j] for j in range(d)] for i in range(n)]
    yc = [y[i] - my for i in range(n)]
    G = [[sum(Xc[k][i] * Xc[k][j] for k in range(n)) for j in range(d)] for i in range(d)]
    g = [sum(Xc[k][i] * yc[k] for k in range(n)) for i in range(d)]
    # Gauss-Jordan on the (symmetric positive definite) centred normal equations.
    A = [G[i][:] + [g[i]] for i in range(d)]
    for c in range(d):
        p = next(r for r in range(c, d) if A[r][c] != 0)
        A[c], A[p] = A[p], A[c]
        for r in range(d):
            if r != c and A[r][c] != 0:
                f = A[r][c] / A[c][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c])]
    w = [A[i][d] / A[i][i] for i in range(d)]
    b = my - sum(mx[j] * w[j] for j in range(d))
    rss = sum((sum(X[i][j] * w[j] for j in range(d)) + b - y[i]) ** 2 for i in range(n))
    return w, b, rss


def exact_min_norm(X, y):
    """Exact minimum-norm (w, b) for a rank-deficient or underdetermined centred design."""
    n, d = len(X), len(X[0])
    Xs = sympy.Matrix([[sympy.Rational(Fraction(v).numerator, Fraction(v).denominator) for v in row] for row in X])
    ys = sympy.Matrix([sympy.Rational(Fraction(v).numerator, Fraction(v).denominator) for v in y])
    mx = sympy.Matrix([[sum(Xs[:, j]) / n for j in range(d)]])
    my = sum(ys) / n
    Xc = Xs - sympy.ones(n, 1) * mx
    yc = ys - sympy.ones(n, 1) * my
    w = Xc.pinv() * yc
    b = my - (mx * w)[0, 0]
    r = Xs * w + sympy.ones(n, 1) * b - ys
    rss = (r.T * r)[0, 0]
    rank = Xc.rank()
    to_f = lambda v: Fraction(int(sympy.fraction(v)[0]), int(sympy.fraction(v)[1]))
    return [to_f(v) for v in w], to_f(b), to_f(rss), rank


def relative_error(w, b, w_exact, b_exact):
    exact = np.array([float(v) for v in w_exact] + [float(b_exact)])
    got = np.array(list(w) + [b])
    # Compare in exact arithmetic against the exact answer (not its float rounding).
    num = sum((Fraction(float(g)) - e) ** 2 for g, e in zip(got, list(w_exact) + [b_exact]))
    den = sum(e ** 2 for e in list(w_exact) + [b_exact])
    return float((num / den) ** 0.5) if den else float(np.linalg.norm(got - exact))


def peers(X, y):
    A = np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    gy = scipy.linalg.lstsq(A, y, lapack_driver="gelsy")[0]
    return (sol[:-1], sol[-1]), (gy[:-1], gy[-1])


def centred_scaled_condition(X):
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    Xc = Xc / np.linalg.norm(Xc, axis=0)
    return float(np.linalg.cond(Xc))


def problem(name, X, y, dtype, note, min_norm=False, known=None):
    X = np.asarray(X, dtype=dtype)
    y = np.asarray(y, dtype=dtype)
    Xl = [[float(v) for v in row] for row in X]
    yl = [float(v) for v in y]
    if min_norm:
        w, b, rss, rank = exact_min_norm(Xl, yl)
    else:
        w, b, rss = exact_fit(Xl, yl)
        rank = X.shape[1]
    entry = {
        "name": name, "dtype": np.dtype(dtype).name, "note": note,
        "features": Xl, "targets": yl,
        "weights": [float(v) for v in w], "bias": float(b), "residual_sum_of_squares": float(rss),
        "rank": rank, "condition_centred_scaled": centred_scaled_condition(X),
    }
    if known is not None:
        assert [Fraction(v) for v in known[0]] == w and Fraction(known[1]) == b, f"{name}: not the known coefficients"
        entry["known_coefficients"] = True
    if not min_norm:
        (nw, nb), (gw, gb) = peers(X, y)
        entry["numpy_lstsq_relative_error"] = relative_error(nw, nb, w, b)
        entry["scipy_gelsy_relative_error"] = relative_error(gw, gb, w, b)
    return entry


def main():
    rng = np.random.default_rng(20240505)
    problems = []
    for dtype in (np.float64, np.float32):
        # 1. A degree-6 polynomial in t = i/4 on [0, 12): no noise, integer coefficients, so the
        #    exact least-squares answer is the coefficients themselves (verified exactly).
        t = np.arange(48) / 4.0
        V = np.stack([t ** k for k in range(1, 7)], axis=1)
        coef = [3.0, -2.0, 1.0, -1.0, 2.0, -1.0]
        if dtype == np.float64:
            yv = V @ np.array(coef) + 5.0
            problems.append(problem("vandermonde_exact_f64", V, yv, dtype,
                                    "degree-6 polynomial, integer coefficients, no noise", known=(coef, 5.0)))
        # 2. The same design with noise (dyadic, so exactly representable): a true LS problem.
        noise = np.round(rng.normal(0, 1, size=t.size) * 64) / 64
        yn = V @ np.array(coef) + 5.0 + noise * 100
        problems.append(problem(f"vandermonde_noisy_{np.dtype(dtype).name}", V, yn, dtype,
                                "degree-6 polynomial plus noise"))
        # 3. Near-collinear columns: x2 = x1 + 1e-6 * small noise.
        x1 = rng.normal(0, 1, size=60)
        x2 = x1 + 1e-6 * rng.normal(0, 1, size=60) if dtype == np.float64 else x1 + 1e-3 * rng.normal(0, 1, size=60)
        x3 = rng.normal(0, 1, size=60)
        Xn = np.stack([x1, x2, x3], axis=1).astype(dtype)
        yn2 = (Xn.astype(np.float64) @ np.array([1.5, -0.5, 2.0]) + 0.25 + 0.01 * rng.normal(0, 1, size=60)).astype(dtype)
        problems.append(problem(f"near_collinear_{np.dtype(dtype).name}", Xn, yn2, dtype, "x2 = x1 + tiny noise"))
        # 4. Huge column offsets: a column of ones is nearly parallel to them; centring is exact.
        offset = 1e9 if dtype == np.float64 else 1e5
        u1 = np.round(rng.uniform(0, 100, size=50) * 8) / 8
        u2 = np.round(rng.normal(0, 3, size=50) * 16) / 16
        Xh = np.stack([offset + u1, -offset / 4 + u2], axis=1).astype(dtype)
        yh = (0.75 * u1 - 2.0 * u2 + 11 + np.round(rng.normal(0, 1, size=50) * 32) / 32).astype(dtype)
        problems.append(problem(f"huge_offsets_{np.dtype(dtype).name}", Xh, yh, dtype,
                                f"columns around +-{offset:g}, spread ~1-100"))
        # 5. Rank-deficient: a duplicated column; the minimum-norm answer splits its weight.
        a = np.round(rng.normal(0, 1, size=30) * 16) / 16
        c = np.round(rng.normal(0, 1, size=30) * 16) / 16
        Xd = np.stack([a, a, c], axis=1)
        yd = 2 * a - c + 0.5 + np.round(rng.normal(0, 0.1, size=30) * 256) / 256
        problems.append(problem(f"duplicate_column_{np.dtype(dtype).name}", Xd, yd, dtype,
                                "column 1 duplicates column 0", min_norm=True))
        # 6. Underdetermined: 4 rows, 6 features.
        Xu = np.round(rng.normal(0, 1, size=(4, 6)) * 8) / 8
        yu = np.round(rng.normal(0, 1, size=4) * 8) / 8
        problems.append(problem(f"underdetermined_{np.dtype(dtype).name}", Xu, yu, dtype,
                                "n = 4 < d = 6: interpolates, minimum norm", min_norm=True))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "scripts/exact_least_squares.py", "problems": problems}, indent=1) + "\n")
    for p in problems:
        print(f"{p['name']:28s} rank {p['rank']} cond {p['condition_centred_scaled']:9.3g} "
              f"numpy {p.get('numpy_lstsq_relative_error', float('nan')):9.3g} gelsy {p.get('scipy_gelsy_relative_error', float('nan')):9.3g}")


if __name__ == "__main__":
    main()
