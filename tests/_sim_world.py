"""A simulated sales world where the truth is known: p(win | customer, rep) for everyone.

Reps have hidden strengths that interact with customer attributes (rep × industry,
rep × size, rep × region, rep × product, team × industry), customers have base rates
(industry, size, source, level), and the history comes from *random* assignment, as a
learned allocation needs (LinkedIn's lesson). Importable by tests and bench.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from fenpei.domain.customers import Customer
from fenpei.engine.scoring.contract import Example

INDUSTRIES = (
    "retail",
    "finance",
    "software",
    "medical",
    "energy",
    "telecom",
    "education",
    "travel",
)
SIZES = (5, 30, 120, 600, 3000, 9000)  # employees: one per size bucket
REGIONS = ("north", "south", "east", "west", "central")
SOURCES = ("web", "referral", "event", "cold_call", "partner")
LEVELS = ("A", "B", "C")
PRODUCTS = ("basic", "pro", "enterprise", "support")
LANGUAGES = ("zh", "en")
START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class World:
    rep_ids: list[int]
    team_of: dict[int, int]
    history: list[Example]
    rng: np.random.Generator
    # Hidden truth: logit = base(customer) + rep(r) + Σ interaction tables.
    base: dict[str, dict[str, float]]
    rep_skill: dict[int, float]
    rep_tables: dict[str, dict[int, dict[str, float]]]
    team_industry: dict[int, dict[str, float]]

    def customers(self, n: int) -> list[Customer]:
        """``n`` new customers drawn like the history's."""
        return _customers(self.rng, n)

    def _values(self, c: Customer) -> dict[str, str]:
        return {
            "industry": c.industry or "",
            "size": str(c.employees),
            "region": c.region or "",
            "source": c.source or "",
            "level": c.level or "",
            "product": c.product_interest or "",
        }

    def true_logit(self, c: Customer, rep_id: int) -> float:
        v = self._values(c)
        z = -1.0 + sum(self.base[f].get(v[f], 0.0) for f in self.base) + self.rep_skill[rep_id]
        z += self.team_industry[self.team_of[rep_id]][v["industry"]]
        z += sum(table[rep_id][v[f]] for f, table in self.rep_tables.items())
        return z

    def true_p(self, c: Customer, rep_id: int) -> float:
        return 1.0 / (1.0 + math.exp(-self.true_logit(c, rep_id)))

    def truth(self, customers: list[Customer]) -> np.ndarray:
        """n × reps matrix of the true p(win)."""
        return np.array([[self.true_p(c, r) for r in self.rep_ids] for c in customers])


def _customers(rng: np.random.Generator, n: int) -> list[Customer]:
    columns = zip(
        rng.choice(INDUSTRIES, n).tolist(),
        rng.choice(SIZES, n).tolist(),
        rng.choice(REGIONS, n).tolist(),
        rng.choice(SOURCES, n).tolist(),
        rng.choice(LEVELS, n, p=[0.2, 0.5, 0.3]).tolist(),
        rng.choice(PRODUCTS, n).tolist(),
        rng.choice(LANGUAGES, n, p=[0.7, 0.3]).tolist(),
        strict=True,
    )
    return [
        Customer(
            name=f"sim {i}",
            industry=industry,
            employees=int(size),
            region=region,
            source=source,
            level=level,
            product_interest=product,
            custom={"language": language},
        )
        for i, (industry, size, region, source, level, product, language) in enumerate(columns)
    ]


def make_world(*, seed: int = 7, reps: int = 20, teams: int = 4, history: int = 30_000) -> World:
    """A world of ``reps`` reps in ``teams`` teams and ``history`` closed customers, each
    given to a rep at random and won with its true probability."""
    rng = np.random.default_rng(seed)
    rep_ids = list(range(101, 101 + reps))
    team_of = {r: 1 + i % teams for i, r in enumerate(rep_ids)}

    def table(values: tuple[str, ...], scale: float) -> dict[str, float]:
        return {v: float(rng.normal(0, scale)) for v in values}

    sizes = tuple(str(s) for s in SIZES)
    base = {
        "industry": table(INDUSTRIES, 0.5),
        "size": table(sizes, 0.4),
        "source": table(SOURCES, 0.5),
        "level": {"A": 0.6, "B": 0.0, "C": -0.6},
    }
    rep_skill = {r: float(rng.normal(0, 0.25)) for r in rep_ids}
    rep_tables = {
        "industry": {r: table(INDUSTRIES, 0.6) for r in rep_ids},
        "size": {r: table(sizes, 0.5) for r in rep_ids},
        "region": {r: table(REGIONS, 0.5) for r in rep_ids},
        "product": {r: table(PRODUCTS, 0.5) for r in rep_ids},
    }
    team_industry = {t: table(INDUSTRIES, 0.3) for t in set(team_of.values())}
    world = World(rep_ids, team_of, [], rng, base, rep_skill, rep_tables, team_industry)
    drawn = rng.integers(reps, size=history).tolist()
    luck = rng.random(history).tolist()
    for i, c in enumerate(_customers(rng, history)):
        rep = rep_ids[drawn[i]]
        won = luck[i] < world.true_p(c, rep)
        at = START + timedelta(minutes=i * 30)
        world.history.append(Example(c, won, at, rep_id=rep, team_id=team_of[rep]))
    return world
