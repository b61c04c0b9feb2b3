"""L2-regularised logistic regression on sparse one-hot columns (scipy L-BFGS).

Shared by the learned scorer and the affinity model. Each column has its own penalty, so
the affinity model can shrink rep terms harder than team terms, and those harder than the
global ones (hierarchical shrinkage as a graded ridge)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def sigmoid(z: Floats) -> Floats:
    out: Floats = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def logit(p: Floats) -> Floats:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    out: Floats = np.log(q / (1 - q))
    return out


def one_hot(rows: Sequence[Sequence[int]] | Ints, width: int) -> sparse.csr_matrix:
    """A 0/1 matrix with a row per example, 1 in each listed column (rows may differ in length)."""
    indptr = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    indices: Ints = (
        np.concatenate([np.asarray(r, np.int64) for r in rows])
        if len(rows)
        else np.zeros(0, np.int64)
    )
    data = np.ones(int(indptr[-1]))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))


def folds(n: int, every: int = 5) -> tuple[Ints, Ints]:
    """(rows to fit, rows held out): every ``every``-th example in time order is held out.
    Interleaved rather than the latest fifth, so a seasonal swing in the win rate (Maven
    closes quarters at 80% won) does not skew the calibration; the evaluation's own split
    stays a strict time split."""
    held = np.arange(n) % every == every - 1
    return np.flatnonzero(~held), np.flatnonzero(held)


def fit(
    x: sparse.csr_matrix,
    y: Floats,
    penalty: Floats,
    *,
    start: Floats | None = None,
    max_iter: int = 100,
) -> Floats:
    """Weights minimising log loss + ½ Σ penalty_j w_j² (column 0 is usually the bias,
    given a tiny penalty). Newton-CG with exact Hessian-vector products XᵀDXv + Λv: on
    thousands of columns (an affinity's rep × feature blocks) several times faster than
    L-BFGS, whose own bookkeeping dominated there."""
    xt = x.T.tocsr()
    curvature: dict[str, Any] = {}

    def loss(w: Floats) -> float:
        z = x @ w
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(penalty * w, w))

    def gradient(w: Floats) -> Floats:
        found: Floats = xt @ (sigmoid(x @ w) - y) + penalty * w
        return found

    def hessian_times(w: Floats, v: Floats) -> Floats:
        if curvature.get("at") is not w:  # one weighting per Newton step, many products
            p = sigmoid(x @ w)
            curvature.update(at=w, d=p * (1 - p))
        found: Floats = xt @ (curvature["d"] * (x @ v)) + penalty * v
        return found

    w0 = np.zeros(x.shape[1]) if start is None else start
    result = optimize.minimize(
        loss, w0, jac=gradient, hessp=hessian_times, method="Newton-CG",
        options={"maxiter": max_iter, "xtol": 1e-6},
    )  # fmt: skip
    weights: Floats = np.asarray(result.x, np.float64)
    return weights


# How firmly calibration holds to "no change" (a = 1, b = 0): a fold of a few dozen
# outcomes barely moves it (a noisy fold stretched small models' odds ×2), thousands do.
PLATT_PRIOR = 10.0


def platt(z: Floats, y: Floats) -> tuple[float, float]:
    """(a, b) with p = sigmoid(a·z + b) calibrated on a held-out fold (Platt scaling);
    a prior toward (1, 0) keeps a small fold from overreacting."""
    if len(z) == 0 or y.min() == y.max():
        return 1.0, 0.0
    x = sparse.csr_matrix(np.column_stack([z, np.ones_like(z)]))
    prior = np.array([1.0, 0.0])

    def objective(w: Floats) -> tuple[float, Floats]:
        s = x @ w
        d = w - prior
        loss = float(np.sum(np.logaddexp(0.0, s) - y * s) + 0.5 * PLATT_PRIOR * np.dot(d, d))
        grad: Floats = x.T @ (sigmoid(s) - y) + PLATT_PRIOR * d
        return loss, grad

    result = optimize.minimize(objective, prior, jac=True, method="L-BFGS-B")
    a, b = (float(v) for v in result.x)
    return a, b


def log_loss(p: Floats, y: Floats) -> float:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
