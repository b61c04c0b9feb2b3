"""Training the learned models from examples (pure: examples in, a model out).

``train_score`` fits p(win | customer) (``logistic``); ``train_affinity`` fits
p(win | customer, rep) (``affinity``) with graded penalties: everyone's weights lightly,
each team's harder, each rep's hardest, chosen with their calibration on a held-out fifth
of the history (interleaved in time) and then refitted on all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from fenpei.engine.scoring import _fit
from fenpei.engine.scoring._fit import Floats
from fenpei.engine.scoring.affinity import AffinityModel
from fenpei.engine.scoring.contract import Example
from fenpei.engine.scoring.features import DEFAULT_FIELDS, learn_spec
from fenpei.engine.scoring.logistic import LogisticScorer, train_logistic

# (everyone, team, rep) penalties tried; the one with the lowest held-out log loss wins.
# The last: (almost) nothing but the base rate, for a history with no signal in it.
PENALTIES: tuple[tuple[float, float, float], ...] = (
    (1.0, 3.0, 10.0),
    (1.0, 10.0, 30.0),
    (1.0, 30.0, 100.0),
    (30.0, 300.0, 1000.0),
    (1000.0, 1e4, 1e4),
)


def train_score(
    examples: Sequence[Example], *, fields: Sequence[str] = DEFAULT_FIELDS
) -> LogisticScorer:
    """The learned p(win | customer): interactions and strength chosen on held-out data,
    calibrated."""
    return train_logistic(examples, fields=fields)


def train_affinity(
    examples: Sequence[Example],
    team_of_rep: Mapping[int, int],
    *,
    fields: Sequence[str] = DEFAULT_FIELDS,
    penalties: Sequence[tuple[float, float, float]] = PENALTIES,
    min_count: int = 10,
) -> AffinityModel:
    """The learned p(win | customer, rep) from the examples that name their rep."""
    ordered = sorted((e for e in examples if e.rep_id is not None), key=lambda e: e.at)
    team_of = {
        e.rep_id: e.team_id for e in ordered if e.rep_id is not None and e.team_id is not None
    }
    team_of.update({r: t for r, t in team_of_rep.items()})
    spec = learn_spec([e.customer for e in ordered], fields, min_count=min_count)
    width = len(spec.columns)
    y = np.array([float(e.won) for e in ordered])
    reps = sorted({e.rep_id for e in ordered if e.rep_id is not None})
    teams = sorted({team_of[r] for r in reps if r in team_of})
    if len(y) < 20 or y.min() == y.max():
        everyone = np.zeros(width)
        rate = float(np.clip(y.mean(), 0.01, 0.99)) if len(y) else 0.5
        everyone[0] = float(np.log(rate / (1 - rate)))
        return AffinityModel(spec, everyone, {}, {}, {r: t for r, t in team_of.items()})
    rep_index = {r: i for i, r in enumerate(reps)}
    team_index = {t: i for i, t in enumerate(teams)}
    no_team = len(teams)  # a block for reps of no known team, held at zero
    columns = spec.encode_many([e.customer for e in ordered])
    team_block = np.array(
        [team_index.get(team_of.get(e.rep_id or 0, -1), no_team) for e in ordered]
    )
    rep_block = np.array([rep_index[e.rep_id] for e in ordered if e.rep_id is not None])
    team_offset = width * (1 + team_block)
    rep_offset = width * (2 + len(teams) + rep_block)
    rows = np.hstack([columns, columns + team_offset[:, None], columns + rep_offset[:, None]])
    total = width * (2 + len(teams) + len(reps))
    x = _fit.one_hot(rows, total)

    def penalty(levels: tuple[float, float, float]) -> Floats:
        pen = np.empty(total)
        pen[:width] = levels[0]
        pen[0] = 1e-4
        pen[width : width * (1 + len(teams))] = levels[1]
        pen[width * (1 + len(teams)) : width * (2 + len(teams))] = 1e6
        pen[width * (2 + len(teams)) :] = levels[2]
        return pen

    fit_rows, held = _fit.folds(len(y))
    best: tuple[float, tuple[float, float, float], Floats, Floats] | None = None
    w = None
    # From the strongest shrinkage to the weakest, each fit starting where the last ended
    # (a warm-started path: far fewer iterations than fitting each from zero).
    for levels in sorted(penalties, key=lambda levels: levels[::-1], reverse=True):
        w = _fit.fit(x[fit_rows], y[fit_rows], penalty(levels), start=w)
        z = x[held] @ w
        loss = _fit.log_loss(_fit.sigmoid(z), y[held])
        if best is None or loss < best[0]:
            best = (loss, levels, z, w)
    assert best is not None
    a, b = _fit.platt(best[2], y[held])
    w = _fit.fit(x, y, penalty(best[1]), start=best[3])
    blocks = w.reshape(2 + len(teams) + len(reps), width)
    return AffinityModel(
        spec,
        blocks[0],
        {t: blocks[1 + i] for t, i in team_index.items()},
        {r: blocks[2 + len(teams) + i] for r, i in rep_index.items()},
        {r: t for r, t in team_of.items()},
        a,
        b,
    )
