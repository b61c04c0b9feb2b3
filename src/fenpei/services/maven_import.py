"""Import the Maven CRM data set: offices, teams, reps, companies and 8,800 opportunities
with their ownership history. Messy rows are skipped and reported, never crashed on;
a second run adds nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.companies import Company
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import Actor
from fenpei.services.categories import add_value
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.rescore import rescore

STAGES = {
    "won": Stage.won,
    "lost": Stage.lost,
    "engaging": Stage.contacted,
    "prospecting": Stage.new,
}
# Spelling mistakes in the data set, fixed on the way in and reported.
SECTOR_FIXES = {"technolgy": "technology"}
COUNTRY_FIXES = {"Philipines": "Philippines"}
MILLION = Decimal(1_000_000)
Progress = Callable[[int, int], None]
Row = tuple[int, dict[str, str]]  # (line number in the file, column -> stripped text)

# The reason stored with an owner the data set gave (pages show it in their words).
IMPORTED_OWNER_REASON = "Maven CRM import: owner in the source data"


@dataclass(frozen=True)
class MavenData:
    """The four files as rows; read by ``fenpei.adapters.maven.read_maven``."""

    teams: list[Row]
    accounts: list[Row]
    products: list[Row]
    pipeline: list[Row]


@dataclass
class MavenSummary:
    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows
    fixed: Counter[str] = field(default_factory=Counter)  # what was normalised -> rows
    skipped_lines: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def skip(self, reason: str, line: int) -> None:
        self.skipped[reason] += 1
        self.skipped_lines.setdefault(reason, []).append(line)


def _day(text: str) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    value = Decimal(text)
    if not value.is_finite() or value < 0:
        raise InvalidOperation(text)
    return value


def _key(product: str) -> str:
    return "".join(product.split()).casefold()


class _MavenImport:
    def __init__(self, uow: UnitOfWork, actor: Actor, now: datetime) -> None:
        self.uow, self.actor, self.now = uow, actor, now
        self.summary = MavenSummary()
        self.reps: dict[str, Rep] = {}
        self.office_of_rep: dict[str, str] = {}
        self.companies: dict[str, Company] = {}
        self.prices: dict[str, tuple[str, Decimal | None]] = {}

    def _count(self, kind: str, created: bool) -> None:
        (self.summary.created if created else self.summary.existing)[kind] += 1

    def _team(self, name: str, *, parent: Team | None, manager: str | None, region: str) -> Team:
        team = self.uow.teams.by_name(name)
        self._count("teams" if manager else "offices", team is None)
        if team is None:
            team = Team(
                name=name,
                parent_id=parent.id if parent else None,
                manager_name=manager,
                region=region,
                created_at=self.now,
            )
            self.uow.teams.add(team)
        return team

    def org(self, rows: list[Row]) -> None:
        offices: dict[str, Team] = {}
        teams: dict[str, Team] = {}
        for line, row in rows:
            agent, manager, office = row["sales_agent"], row["manager"], row["regional_office"]
            if not (agent and manager and office):
                self.summary.skip("sales_teams.csv: agent, manager or office empty", line)
                continue
            if agent in self.reps:
                self.summary.skip("sales_teams.csv: agent listed twice", line)
                continue
            if office not in offices:
                add_value(
                    uow=self.uow,
                    key="region",
                    code=office,
                    label=None,
                    actor=self.actor,
                    now=self.now,
                )
                offices[office] = self._team(
                    f"{office} office", parent=None, manager=None, region=office
                )
            if manager not in teams:
                teams[manager] = self._team(
                    f"{manager}'s team", parent=offices[office], manager=manager, region=office
                )
            rep = self.uow.reps.by_name(agent)
            self._count("reps", rep is None)
            if rep is None:
                rep = Rep(
                    name=agent,
                    team_id=teams[manager].id,
                    skills={"regions": [office]},
                    created_at=self.now,
                    updated_at=self.now,
                )
                self.uow.reps.add(rep)
            self.reps[agent] = rep
            self.office_of_rep[agent] = office

    def accounts(self, rows: list[Row]) -> None:
        parents: list[tuple[int, Company, str]] = []
        for line, row in rows:
            name = row["account"]
            if not name:
                self.summary.skip("accounts.csv: account name empty", line)
                continue
            sector = row["sector"] or None
            if sector in SECTOR_FIXES:
                self.summary.fixed[f"sector {sector!r} → {SECTOR_FIXES[sector]!r}"] += 1
                sector = SECTOR_FIXES[sector]
            country = row["office_location"] or None
            if country in COUNTRY_FIXES:
                self.summary.fixed[f"country {country!r} → {COUNTRY_FIXES[country]!r}"] += 1
                country = COUNTRY_FIXES[country]
            try:
                revenue = _decimal(row["revenue"])
                year = int(row["year_established"]) if row["year_established"] else None
                employees = int(row["employees"]) if row["employees"] else None
            except (InvalidOperation, ValueError):
                self.summary.skip("accounts.csv: revenue, year or employees not a number", line)
                continue
            if sector:
                add_value(
                    uow=self.uow,
                    key="industry",
                    code=sector,
                    label=None,
                    actor=self.actor,
                    now=self.now,
                )
            company = self.uow.companies.by_name(name)
            self._count("companies", company is None)
            if company is None:
                company = Company(
                    name=name,
                    industry=sector,
                    year_established=year,
                    revenue=revenue * MILLION if revenue is not None else None,
                    employees=employees,
                    country=country,
                    created_at=self.now,
                )
                self.uow.companies.add(company)
            self.companies[name] = company
            if row["subsidiary_of"]:
                parents.append((line, company, row["subsidiary_of"]))
        for line, company, parent_name in parents:
            parent = self.companies.get(parent_name)
            if parent is None:
                self.summary.skip("accounts.csv: parent company unknown (link dropped)", line)
            else:
                company.parent_id = parent.id

    def products(self, rows: list[Row]) -> None:
        for line, row in rows:
            try:
                price = _decimal(row["sales_price"])
            except InvalidOperation:
                self.summary.skip("products.csv: sales_price not a number", line)
                continue
            self.prices[_key(row["product"])] = (row["product"], price)

    def opportunity(self, line: int, row: dict[str, str]) -> Customer | None:
        skip = self.summary.skip
        agent, account, product = row["sales_agent"], row["account"], row["product"]
        stage = STAGES.get(row["deal_stage"].casefold())
        if not row["opportunity_id"]:
            return skip("sales_pipeline.csv: opportunity_id empty", line)
        if agent not in self.reps:
            return skip("sales_pipeline.csv: sales agent not in sales_teams.csv", line)
        if stage is None:
            return skip("sales_pipeline.csv: deal_stage not Won/Lost/Engaging/Prospecting", line)
        if account and account not in self.companies:
            return skip("sales_pipeline.csv: account not in accounts.csv", line)
        try:
            engaged, closed = _day(row["engage_date"]), _day(row["close_date"])
            close_value = _decimal(row["close_value"])
        except (ValueError, InvalidOperation):
            return skip("sales_pipeline.csv: bad date or close_value", line)
        known = self.prices.get(_key(product))
        if known is None:
            self.summary.fixed["product not in products.csv (kept as written)"] += 1
        elif known[0] != product:
            self.summary.fixed[f"product {product!r} → {known[0]!r}"] += 1
        product_name, list_price = known if known else (product, None)
        deal_name = account or f"Lead {row['opportunity_id']}"
        if stage.is_open and (closed or close_value):
            self.summary.fixed["open deal with a close date/value (ignored)"] += 1
            closed = close_value = None
        company = self.companies.get(account)
        rep = self.reps[agent]
        created = engaged or self.now
        return Customer(
            name=f"{deal_name} · {product_name}" if product_name else deal_name,
            external_id=f"maven:{row['opportunity_id']}",
            company_id=company.id if company else None,
            company_name=account or None,
            country=company.country if company else None,
            industry=company.industry if company else None,
            employees=company.employees if company else None,
            revenue=company.revenue if company else None,
            region=self.office_of_rep[agent],
            product_interest=product_name or None,
            expected_value=close_value if stage is Stage.won else list_price,
            stage=stage,
            tags=["maven"],
            owner_id=rep.id,
            team_id=rep.team_id,
            created_at=created,
            updated_at=self.now,
            assigned_at=created,
            closed_at=closed,
        )

    def pipeline(self, rows: list[Row], progress: Progress | None) -> None:
        present = self.uow.customers.ids_by_external_id(
            [f"maven:{row['opportunity_id']}" for _, row in rows]
        )
        seen: set[str] = set()
        batch: list[tuple[int, Customer]] = []
        for done, (line, row) in enumerate(rows, start=1):
            external_id = f"maven:{row['opportunity_id']}"
            if external_id in present:
                self.summary.existing["customers"] += 1
            elif external_id in seen:
                self.summary.skip("sales_pipeline.csv: opportunity_id repeated", line)
            elif (customer := self.opportunity(line, row)) is not None:
                seen.add(external_id)
                batch.append((line, customer))
            if progress and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
        customers = [c for _, c in batch]
        rescore(uow=self.uow, customers=customers, now=self.now, created=True)
        self.uow.customers.add_many(customers)
        self.uow.assignments.add_many(
            [
                Assignment(
                    customer_id=c.id,
                    to_rep_id=c.owner_id,
                    method=AssignMethod.import_,
                    at=c.assigned_at or self.now,
                    actor=self.actor.name,
                    reason=IMPORTED_OWNER_REASON,
                    explanation={"kind": "import", "file": "sales_pipeline.csv", "line": line},
                )
                for line, c in batch
                if c.id is not None
            ]
        )
        self.summary.created["customers"] += len(batch)


def import_maven(
    *,
    uow: UnitOfWork,
    data: MavenData,
    actor: Actor,
    now: datetime,
    progress: Progress | None = None,
) -> MavenSummary:
    """Load the Maven CRM files into fenpei (idempotent); the caller commits."""
    run = _MavenImport(uow, actor, now)
    run.org(data.teams)
    run.accounts(data.accounts)
    run.products(data.products)
    run.pipeline(data.pipeline, progress)
    summary = run.summary
    with_deals = {row["sales_agent"] for _, row in data.pipeline}
    if idle := sorted(set(run.reps) - with_deals):
        summary.notes.append(f"reps with no opportunities: {', '.join(idle)}")
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="import.maven",
            object_type="import",
            object_id="maven-crm",
            at=now,
            after={
                "created": dict(summary.created),
                "existing": dict(summary.existing),
                "skipped": dict(summary.skipped),
                "fixed": dict(summary.fixed),
                "notes": summary.notes,
            },
        )
    )
    return summary
