"""A realistic org for the end-to-end benchmarks: the Maven CRM demo data (3 offices,
sub-teams, 35 reps, 8,800 opportunities with their history) and its office/sector rules."""

from __future__ import annotations

from typing import Any

from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org, users
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules

ADMIN_USERNAME = "bench-admin"
ADMIN_PASSWORD = "bench-admin-password"
REGIONS = ("Central", "East", "West")
LEVELS = ("A", "B", "C", "D")
SECTORS = ("technology", "software", "medical", "retail", "finance", "marketing", "services")


def seed_maven(fenpei: Fenpei, *, room: int = 100_000) -> None:
    """Import the demo data, give every rep ``room`` more open customers than they hold
    (a benchmark should measure routing, not a queue), add the rules and an admin user."""
    now = fenpei.now()
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=read_maven(BUNDLED_MAVEN), actor=SYSTEM, now=now)
        uow.commit()
    with fenpei.uow() as uow:
        loads = uow.routing.loads(now=now)
        for rep in uow.reps.all():
            assert rep.id is not None
            org.update_rep(
                uow=uow,
                rep_id=rep.id,
                fields={"max_open": loads[rep.id].usage.open_count + room, "max_per_day": None},
                actor=SYSTEM,
                now=now,
            )
        create_maven_rules(uow=uow, actor=SYSTEM, now=now)
        users.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username=ADMIN_USERNAME,
            password=ADMIN_PASSWORD,
            role=Role.admin,
            actor=SYSTEM,
            now=now,
        )
        uow.commit()


def leads(count: int, *, start: int = 0, prefix: str = "lead") -> list[dict[str, Any]]:
    """New customers spread over the offices, levels and sectors (so every rule fires)."""
    return [
        {
            "name": f"{prefix} {n}",
            "region": REGIONS[n % len(REGIONS)],
            "level": LEVELS[n % len(LEVELS)],
            "industry": SECTORS[n % len(SECTORS)],
            "source": "web",
            "email": f"{prefix}{n}@example.com",
            "expected_value": 1000 + n % 500,
        }
        for n in range(start, start + count)
    ]
