"""In-memory fakes of the service ports: a unit of work over dicts, a hasher and a clock.

``store`` holds the tables and refuses what the database would refuse; ``repositories``
mirror ``fenpei.adapters.db.repositories`` over it; ``uow`` ties them into a transaction.
"""

from tests.fakes.clock import FixedClock
from tests.fakes.hasher import FakeHasher
from tests.fakes.repositories import (
    FakeAssignments,
    FakeAudit,
    FakeCategories,
    FakeCompanies,
    FakeCustomers,
    FakeCustomFields,
    FakeReps,
    FakeTeams,
    FakeUsers,
)
from tests.fakes.store import Store, StoreRefused
from tests.fakes.uow import Dump, FakeUnitOfWork, in_transaction

__all__ = [
    "Dump",
    "FakeAssignments",
    "FakeAudit",
    "FakeCategories",
    "FakeCompanies",
    "FakeCustomFields",
    "FakeCustomers",
    "FakeHasher",
    "FakeReps",
    "FakeTeams",
    "FakeUnitOfWork",
    "FakeUsers",
    "FixedClock",
    "Store",
    "StoreRefused",
    "in_transaction",
]
