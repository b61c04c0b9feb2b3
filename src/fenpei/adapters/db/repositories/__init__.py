"""SQL repositories: queries only. They flush to get ids but never commit."""

from fenpei.adapters.db.repositories._base import conflicts_as_domain_errors
from fenpei.adapters.db.repositories.access import SqlTokens, SqlWebhookReceipts
from fenpei.adapters.db.repositories.catalog import SqlCategories, SqlCustomFields
from fenpei.adapters.db.repositories.customers import COUNTABLE, SqlAssignments, SqlCustomers
from fenpei.adapters.db.repositories.org import SqlCompanies, SqlReps, SqlTeams
from fenpei.adapters.db.repositories.people import SqlAudit, SqlIdempotency, SqlUsers
from fenpei.adapters.db.repositories.routing import SqlRoutingReads
from fenpei.adapters.db.repositories.rules import SqlRules
from fenpei.adapters.db.repositories.throttle import SqlLoginFailures

__all__ = [
    "COUNTABLE",
    "SqlAssignments",
    "SqlAudit",
    "SqlCategories",
    "SqlCompanies",
    "SqlCustomFields",
    "SqlCustomers",
    "SqlIdempotency",
    "SqlLoginFailures",
    "SqlReps",
    "SqlRoutingReads",
    "SqlRules",
    "SqlTeams",
    "SqlTokens",
    "SqlUsers",
    "SqlWebhookReceipts",
    "conflicts_as_domain_errors",
]
