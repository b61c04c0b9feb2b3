"""The customer list's filters: from the query string, to the service's query, back to URLs.

Every link on the list (a column header, the next page) is the current URL with one thing
changed, so a filtered, sorted page can be bookmarked, reloaded and shared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fenpei.domain.customers import Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.services.ports import CustomerQuery

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100, 200)  # the choices offered; any other asked-for size is snapped
POOL = "pool"  # the owner filter's value for "nobody owns it"
DEFAULT_SORT = "-created_at"
SORTABLE = ("name", "level", "stage", "assigned_at", "created_at", "due")
_DEFAULTS = (("sort", DEFAULT_SORT), ("page", 1), ("per_page", PAGE_SIZE))
_NOT_FILTERS = ("sort", "page", "per_page")


@dataclass(frozen=True)
class ListFilters:
    """The list's query parameters as given (empty: any); ``page`` starts at 1."""

    q: str = ""
    owner: str = ""
    team_id: int | None = None
    stage: Stage | None = None
    level: str = ""
    region: str = ""
    industry: str = ""
    source: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = PAGE_SIZE

    @property
    def any_set(self) -> bool:
        """Whether anything narrows the list (so "no customers" means "none match")."""
        return bool(self.filter_params())

    def filter_params(self) -> dict[str, str]:
        """The parameters that choose customers (not their order or page): what a bulk
        change of "all matching" carries to the server."""
        return {k: v for k, v in self.params().items() if k not in _NOT_FILTERS}

    def params(self) -> dict[str, str]:
        """The non-default parameters, in a stable order."""
        shown: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value in (None, "") or (name, value) in _DEFAULTS:
                continue
            shown[name] = value.value if isinstance(value, Stage) else str(value)
        return shown

    def url(self, path: str = "/customers", **changes: Any) -> str:
        """This list's URL with ``changes``; changing a filter goes back to page 1."""
        if changes and "page" not in changes:
            changes["page"] = 1
        query = urlencode(replace(self, **changes).params())
        return path + (f"?{query}" if query else "")

    def sort_url(self, column: str) -> str:
        """Sort by ``column``; clicking the sorted column again reverses it."""
        return self.url(sort=f"-{column}" if self.sort == column else column)

    def sorted_as(self, column: str) -> str:
        """``ascending`` / ``descending`` / ``none``, for ``aria-sort``."""
        if self.sort == column:
            return "ascending"
        return "descending" if self.sort == f"-{column}" else "none"

    def query(self, zone: ZoneInfo) -> CustomerQuery:
        """The service's query for this page; dates are whole days in ``zone``."""
        owner_id: int | None = None
        if self.owner and self.owner != POOL:
            if not self.owner.isdigit() or len(self.owner) > 10:
                raise ValidationFailed.one("owner", f"{self.owner[:20]!r} is not a rep")
            owner_id = int(self.owner)
        if self.created_from and self.created_to and self.created_to < self.created_from:
            raise ValidationFailed.one("created_to", "must not be before created_from")
        return CustomerQuery(
            text=self.q or None,
            owner_id=owner_id,
            unowned=self.owner == POOL,
            team_id=self.team_id,
            stage=self.stage,
            level=self.level or None,
            region=self.region or None,
            industry=self.industry or None,
            source=self.source or None,
            created_from=_day_start(self.created_from, zone),
            created_to=_day_start(self.created_to, zone, days_after=1),
            sort=self.sort,
            offset=(self.page - 1) * self.per_page,
            limit=self.per_page,
        )


def page_size(asked: int | None) -> int:
    """The page size to use for ``asked``: the largest choice not above it (at least the
    smallest, at most the largest), so a hand-typed ``per_page=10000`` reads 200 rows."""
    if asked is None:
        return PAGE_SIZE
    return max([size for size in PAGE_SIZES if size <= asked] or [PAGE_SIZES[0]])


def _day_start(day: date | None, zone: ZoneInfo, *, days_after: int = 0) -> datetime | None:
    if day is None:
        return None
    if not 1900 <= day.year <= 2999:
        raise ValidationFailed.one("created_from", "must be a year between 1900 and 2999")
    moment = datetime.combine(day + timedelta(days=days_after), time(), tzinfo=zone)
    return moment.astimezone(UTC)
