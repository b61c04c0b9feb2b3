"""The learned p(win | customer, rep) ("algorithm": "affinity_logistic").

One logistic model over the customer's one-hot features (``features``) in three blocks:
everyone's weights, a copy per team (team × feature) and a copy per rep (rep × feature).
A customer's log-odds with rep r of team t is x · (w_all + w_team[t] + w_rep[r]). Graded
L2 penalties (rep > team > everyone) shrink a rep with little history toward the team,
and the team toward everyone: hierarchical shrinkage as a ridge. A rep the model never
saw is scored with the team's vector when its team is known (``with_teams``), else with
everyone's (cold start), never an error.

Fast inference: each rep's vector w_all + w_team + w_rep is summed once at load, so a
customer is ~11 column indices and scoring it for m reps is one gather of m × 11 numbers.

Batch API (for the batch optimiser)::

    model.p_matrix(customers: Sequence[WorkItem],
                   rep_ids: Sequence[Sequence[int]]) -> list[np.ndarray]
        # p_matrix(cs, rs)[i][j] = p(win | cs[i], rs[i][j]), vectorised over all pairs
    model.p_dense(customers: Sequence[WorkItem], rep_ids: Sequence[int]) -> np.ndarray
        # an n × m matrix for every customer against the same reps

params: {"algorithm": "affinity_logistic", "spec": FeatureSpec JSON, "global": [w per
column], "teams": {team_id: [w]}, "reps": {rep_id: [w]}, "team_of": {rep_id: team_id},
"calibration": {"a", "b"}} with p = sigmoid(a · z + b).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from fenpei.engine.items import WorkItem
from fenpei.engine.scoring import _fit
from fenpei.engine.scoring._fit import Floats, Ints
from fenpei.engine.scoring.contract import Contribution
from fenpei.engine.scoring.features import BIAS, FeatureSpec
from fenpei.engine.scoring.logistic import LIMIT, calibration_of


@dataclass(frozen=True)
class AffinityModel:
    """A trained p(win | customer, rep); immutable, pure."""

    spec: FeatureSpec
    everyone: Floats
    teams: Mapping[int, Floats]
    reps: Mapping[int, Floats]
    team_of: Mapping[int, int]
    a: float = 1.0
    b: float = 0.0
    algorithm: str = field(default="affinity_logistic")
    _vectors: Floats = field(init=False, repr=False)
    _row: dict[int, int] = field(init=False, repr=False)
    _known: tuple[Ints, Ints] = field(init=False, repr=False)  # sorted rep ids, their rows
    _flat: Floats = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows: list[Floats] = []
        row_of: dict[int, int] = {}
        team_row: dict[int, int] = {}
        for team_id, w in self.teams.items():
            team_row[team_id] = len(rows)
            rows.append(self.everyone + w)
        for rep_id in sorted(set(self.reps) | set(self.team_of)):
            team = self.teams.get(self.team_of.get(rep_id, -1))
            if rep_id not in self.reps:  # known only by its team (cold start)
                row_of[rep_id] = team_row[self.team_of[rep_id]] if team is not None else -1
                continue
            row_of[rep_id] = len(rows)
            rows.append(self.everyone + (team if team is not None else 0.0) + self.reps[rep_id])
        rows.append(self.everyone)  # the last row: everyone's, for reps never seen
        object.__setattr__(self, "_vectors", np.vstack(rows))
        object.__setattr__(self, "_flat", self._vectors.ravel())
        object.__setattr__(
            self, "_row", {r: (i if i >= 0 else len(rows) - 1) for r, i in row_of.items()}
        )
        known = sorted(self._row.items())
        ids = np.array([r for r, _ in known], np.int64)
        object.__setattr__(self, "_known", (ids, np.array([i for _, i in known], np.int64)))

    def with_teams(self, team_of: Mapping[int, int]) -> AffinityModel:
        """The same model, told the teams of reps it has not seen (scored as their team)."""
        merged = {**team_of, **self.team_of}
        return AffinityModel(
            self.spec, self.everyone, self.teams, self.reps, merged, self.a, self.b
        )

    def _rows(self, rep_ids: Sequence[int]) -> Ints:
        unseen = len(self._vectors) - 1
        return np.fromiter((self._row.get(r, unseen) for r in rep_ids), np.int64, len(rep_ids))

    def _rows_of(self, rep_ids: Ints) -> Ints:
        """``_rows`` vectorised, for a batch's many (customer, rep) pairs."""
        ids, rows = self._known
        if not len(ids):
            return np.full(len(rep_ids), len(self._vectors) - 1, np.int64)
        at = np.minimum(np.searchsorted(ids, rep_ids), len(ids) - 1)
        found: Ints = np.where(ids[at] == rep_ids, rows[at], len(self._vectors) - 1)
        return found

    def _p(self, z: Floats) -> Floats:
        return _fit.sigmoid(self.a * z + self.b)

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> Mapping[int, float]:
        columns = self.spec.encode(customer)
        width = self._vectors.shape[1]
        # One flat gather of reps × columns (faster than fancy 2-D indexing).
        z = self._flat.take(self._rows(rep_ids)[:, None] * width + columns).sum(axis=1)
        return dict(zip(rep_ids, self._p(z).tolist(), strict=True))

    def p_matrix(
        self, customers: Sequence[WorkItem], rep_ids: Sequence[Sequence[int]]
    ) -> list[Floats]:
        """p(win) of each customer with each of its reps: ``[i][j]`` for ``rep_ids[i][j]``."""
        columns = self.spec.encode_many(customers)
        lengths = np.fromiter((len(r) for r in rep_ids), np.int64, len(rep_ids))
        pairs = int(lengths.sum())
        starts = self._rows_of(np.fromiter(chain.from_iterable(rep_ids), np.int64, pairs))
        starts *= self._vectors.shape[1]  # each pair's rep row, as an offset into _flat
        z = np.zeros(pairs)
        for k in range(columns.shape[1]):  # column by column: small arrays, cache-friendly
            z += self._flat.take(starts + np.repeat(columns[:, k], lengths))
        p = self._p(z)
        return list(np.split(p, np.cumsum(lengths)[:-1])) if len(lengths) else []

    def p_dense(self, customers: Sequence[WorkItem], rep_ids: Sequence[int]) -> Floats:
        """An n × m matrix: every customer against the same reps."""
        x = _fit.one_hot(self.spec.encode_many(customers), len(self.spec.columns))
        z: Floats = np.asarray(x @ self._vectors[self._rows(rep_ids)].T)
        return self._p(z)

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[Contribution]:
        """What moves this rep's odds with this customer: rep × feature, team × feature and
        the customer's own features, in calibrated log-odds."""
        team_id = self.team_of.get(rep_id)
        blocks: list[tuple[str, Floats | None]] = [
            ("", self.everyone),
            ("team", self.teams.get(team_id) if team_id is not None else None),
            ("rep", self.reps.get(rep_id)),
        ]
        found = []
        for (name, value), column in zip(
            self.spec.values_of(customer), self.spec.encode(customer), strict=True
        ):
            for who, w in blocks:
                if w is None or (name == BIAS and not who):
                    continue
                effect = self.a * float(w[column])
                if effect == 0.0:
                    continue
                feature = who if name == BIAS else (f"{who} × {name}" if who else name)
                found.append(
                    Contribution(feature, "" if name == BIAS else value, effect,
                                 {"odds": round(math.exp(effect), 3)})
                )  # fmt: skip
        found.sort(key=lambda c: abs(c.effect), reverse=True)
        return found[:top]

    def to_params(self) -> dict[str, Any]:
        def vec(w: Floats) -> list[float]:
            return [round(float(v), 6) for v in w]

        return {
            "algorithm": "affinity_logistic",
            "spec": self.spec.to_json(),
            "global": vec(self.everyone),
            "teams": {str(t): vec(w) for t, w in self.teams.items()},
            "reps": {str(r): vec(w) for r, w in self.reps.items()},
            "team_of": {str(r): t for r, t in self.team_of.items()},
            "calibration": {"a": self.a, "b": self.b},
        }


def _vector(value: object, width: int, where: str) -> Floats:
    if not isinstance(value, list) or len(value) != width:
        raise ValueError(f"affinity_logistic: {where} must be a list of {width} numbers")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise ValueError(f"affinity_logistic: {where} must hold numbers only")
    w = np.array(value, np.float64)
    if not (np.abs(w) <= LIMIT).all():
        raise ValueError(f"affinity_logistic: {where} must hold numbers within ±{LIMIT:g}")
    return w


def _ids(value: object, where: str) -> dict[int, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"affinity_logistic: {where} must be an object keyed by id")
    try:
        return {int(k): v for k, v in value.items()}
    except ValueError:
        raise ValueError(f"affinity_logistic: {where} keys must be ids (whole numbers)") from None


def load_affinity(params: Mapping[str, Any]) -> AffinityModel:
    """The model stored in ``params``; ValueError naming what is wrong."""
    spec = FeatureSpec.from_json(params.get("spec"))
    width = len(spec.columns)
    everyone = _vector(params.get("global"), width, "global")
    teams = {
        t: _vector(w, width, f"teams.{t}") for t, w in _ids(params.get("teams"), "teams").items()
    }
    reps = {r: _vector(w, width, f"reps.{r}") for r, w in _ids(params.get("reps"), "reps").items()}
    team_of: dict[int, int] = {}
    for rep, team in _ids(params.get("team_of", {}), "team_of").items():
        if isinstance(team, bool) or not isinstance(team, int):
            raise ValueError(f"affinity_logistic: team_of.{rep} must be a team id")
        team_of[rep] = team
    a, b = calibration_of(params, "affinity_logistic")
    return AffinityModel(spec, everyone, teams, reps, team_of, a, b)
