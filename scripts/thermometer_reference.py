#!/usr/bin/env python3
"""Independent NumPy reproduction of the thermometer walkthrough ("Deep Learning with
PyTorch", ch. 5), in float32 like the chapter's tensors (torch is not installed here; every
step is the chapter's plain arithmetic, written out in NumPy).

Writes Tests/DescentTests/Fixtures/thermometer_reference.json, which the Swift tests compare
against. Run from the repository root:  python3 scripts/thermometer_reference.py

Conventions shared with Descent (each re-implemented here from its specification, not from
the Swift code):
  * a training loop records, at every epoch, the loss at the parameters *before* that epoch's
    update (what the chapter prints); "loss" of a step is the loss at its final parameters;
  * the divergence guard stops at the first epoch whose loss is not finite or exceeds
    1e4 x the first epoch's loss, or whose update makes a parameter non-finite;
  * the validation split is a Fisher-Yates permutation driven by xoshiro256** seeded through
    SplitMix64 (seed 42): for i = n-1 down to 1, j = next() % (i + 1), swap; the last
    n_val = int(0.2 * n) indices of the permutation are the validation set (as the chapter's
    shuffled_indices[-n_val:]).
"""
import json
import pathlib

import numpy as np

f32 = np.float32
t_c = np.array([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0], dtype=f32)
t_u = np.array([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4], dtype=f32)
DIVERGENCE_FACTOR = 1e4


def model(t_u, w, b):
    return w * t_u + b


def loss_fn(t_p, t_c):
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean(dtype=f32)


def grad_fn(t_u, t_c, t_p):
    dloss_dtp = f32(2) * (t_p - t_c) / f32(t_p.size)
    return np.array([(dloss_dtp * t_u).sum(dtype=f32), dloss_dtp.sum(dtype=f32)], dtype=f32)


def training_loop(n_epochs, learning_rate, params, t_u, t_c, guard=True):
    """The chapter's hand-written loop. Returns (params, history, stopped_at_epoch)."""
    history = []
    lr = f32(learning_rate)
    params = params.astype(f32)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, n_epochs + 1):
            w, b = params
            t_p = model(t_u, w, b)
            loss = loss_fn(t_p, t_c)
            history.append(float(loss))
            if guard and (not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * history[0]):
                return params, history, epoch
            grad = grad_fn(t_u, t_c, t_p)
            params = (params - lr * grad).astype(f32)
            if guard and not np.all(np.isfinite(params)):
                return params, history, epoch
    return params, history, None


def adam_loop(n_epochs, learning_rate, params, t_u, t_c, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.Adam's update (defaults, bias-corrected) in float32, with the
    analytic gradient (what autograd computes for this model)."""
    params = params.astype(f32)
    m = np.zeros_like(params)
    v = np.zeros_like(params)
    beta1, beta2 = betas
    for step in range(1, n_epochs + 1):
        t_p = model(t_u, *params)
        grad = grad_fn(t_u, t_c, t_p)
        m = (f32(beta1) * m + f32(1 - beta1) * grad).astype(f32)
        v = (f32(beta2) * v + f32(1 - beta2) * grad * grad).astype(f32)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = f32(learning_rate / bias_correction1)
        denom = (np.sqrt(v) / f32(np.sqrt(bias_correction2)) + f32(eps)).astype(f32)
        params = (params - step_size * m / denom).astype(f32)
    return params


MASK = (1 << 64) - 1


class Xoshiro256StarStar:
    def __init__(self, seed):
        state = seed & MASK
        words = []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result


def permutation(n, seed):
    generator = Xoshiro256StarStar(seed)
    indices = list(range(n))
    for i in range(n - 1, 0, -1):
        j = generator.next() % (i + 1)
        indices[i], indices[j] = indices[j], indices[i]
    return indices


def main():
    out = {}
    # 1. the model at w = 1, b = 0
    w, b = f32(1.0), f32(0.0)
    t_p = model(t_u, w, b)
    loss = loss_fn(t_p, t_c)
    out["initial"] = {"predictions": [float(x) for x in t_p], "loss": float(loss)}

    # 2. central finite differences, delta 0.1, both at (1, 0); one step of lr 1e-2 on both
    delta = f32(0.1)
    dw = (loss_fn(model(t_u, w + delta, b), t_c) - loss_fn(model(t_u, w - delta, b), t_c)) / (f32(2.0) * delta)
    db = (loss_fn(model(t_u, w, b + delta), t_c) - loss_fn(model(t_u, w, b - delta), t_c)) / (f32(2.0) * delta)
    lr = f32(1e-2)
    out["finite_difference"] = {"dw": float(dw), "db": float(db),
                                "w": float(w - lr * dw), "b": float(b - lr * db)}

    # 3. the analytic gradient at (1, 0)
    grad = grad_fn(t_u, t_c, t_p)
    out["analytic_gradient"] = {"dw": float(grad[0]), "db": float(grad[1])}

    # 4. lr 1e-2 on raw t_u diverges; the largest stable step from the Hessian (float64)
    X1 = np.column_stack([t_u.astype(np.float64), np.ones(t_u.size)])
    hessian = 2.0 / t_u.size * X1.T @ X1
    lambda_max = float(np.linalg.eigvalsh(hessian)[-1])
    _, history, stopped = training_loop(100, 1e-2, np.array([1.0, 0.0]), t_u, t_c)
    out["diverging"] = {"learning_rate": 1e-2, "stopped_at_epoch": stopped, "loss": history[-1],
                        "largest_eigenvalue": lambda_max, "largest_stable_learning_rate": 2.0 / lambda_max,
                        "history": history}

    def fit(n_epochs, learning_rate, x):
        params, history, stopped = training_loop(n_epochs, learning_rate, np.array([1.0, 0.0]), x, t_c)
        assert stopped is None
        return {"w": float(params[0]), "b": float(params[1]),
                "loss": float(loss_fn(model(x, *params), t_c)), "last_epoch_loss": history[-1]}

    # 5. lr 1e-4, 100 epochs
    out["small_learning_rate"] = fit(100, 1e-4, t_u)
    # 6. scaled input t_un = 0.1 * t_u, lr 1e-2, 100 then 5000 epochs
    t_un = f32(0.1) * t_u
    out["scaled_100"] = fit(100, 1e-2, t_un)
    out["scaled_5000"] = fit(5000, 1e-2, t_un)
    # 7. autograd computes the same gradient, so the same fit
    out["autograd_5000"] = dict(out["scaled_5000"])

    # 8. Adam, lr 1e-1, raw t_u, 5000 epochs
    params = adam_loop(5000, 1e-1, np.array([1.0, 0.0]), t_u, t_c)
    out["adam"] = {"w": float(params[0]), "b": float(params[1]),
                   "loss": float(loss_fn(model(t_u, *params), t_c))}
    # the chapter's own Adam run is 2000 epochs (it prints [0.5367, -17.3021], 2.927645)
    params = adam_loop(2000, 1e-1, np.array([1.0, 0.0]), t_u, t_c)
    out["adam_2000"] = {"w": float(params[0]), "b": float(params[1]),
                        "loss": float(loss_fn(model(t_u, *params), t_c))}

    # 9. seeded split, train on scaled input, lr 1e-2, 3000 epochs
    n = t_u.size
    n_val = int(0.2 * n)
    shuffled = permutation(n, 42)
    train_idx, val_idx = shuffled[:-n_val], shuffled[-n_val:]
    train_u, train_c = t_un[train_idx], t_c[train_idx]
    val_u, val_c = t_un[val_idx], t_c[val_idx]
    params = np.array([1.0, 0.0], dtype=f32)
    train_history, val_history = [], []
    for epoch in range(1, 3001):
        train_p = model(train_u, *params)
        train_loss = loss_fn(train_p, train_c)
        val_loss = loss_fn(model(val_u, *params), val_c)
        train_history.append(float(train_loss))
        val_history.append(float(val_loss))
        params = (params - f32(1e-2) * grad_fn(train_u, train_c, train_p)).astype(f32)
    reported = [e for e in range(1, 3001) if e <= 3 or e % 500 == 0]
    out["validation"] = {
        "permutation": shuffled, "train_indices": train_idx, "validation_indices": val_idx,
        "w": float(params[0]), "b": float(params[1]),
        "train_loss": float(loss_fn(model(train_u, *params), train_c)),
        "validation_loss": float(loss_fn(model(val_u, *params), val_c)),
        "epochs": 3000,
        "history": {str(e): [train_history[e - 1], val_history[e - 1]] for e in reported},
    }

    # 10. closed form in float64 (lstsq on [t_u 1]) in the original units of t_u
    solution, *_ = np.linalg.lstsq(X1, t_c.astype(np.float64), rcond=None)
    residual = X1 @ solution - t_c.astype(np.float64)
    out["closed_form"] = {"w": float(solution[0]), "b": float(solution[1]), "loss": float(residual @ residual / n)}

    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/DescentTests/Fixtures/thermometer_reference.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    for key in ["initial", "finite_difference", "analytic_gradient", "small_learning_rate", "scaled_100",
                "scaled_5000", "adam", "closed_form"]:
        print(key, {k: v for k, v in out[key].items() if k != "predictions"})
    print("diverging", {k: v for k, v in out["diverging"].items() if k != "history"})
    print("validation", {k: v for k, v in out["validation"].items() if k != "history"})


if __name__ == "__main__":
    main()
