"""In-memory fakes of the service ports: a unit of work over dicts, a hasher and a clock.

``store`` holds the tables and refuses what the database would refuse; ``repositories`` and
``routing`` mirror ``fenpei.adapters.db.repositories`` over it; ``uow`` ties them into a
transaction with savepoints (and lets a test play a concurrent writer: ``meanwhile``).
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
from tests.fakes.routing import FakeRoutingReads, FakeRules
from tests.fakes.store import Store, StoreRefused
from tests.fakes.uow import Commit, Dump, FakeSavepoint, FakeUnitOfWork, in_transaction

__all__ = [
    "Commit",
    "Dump",
    "FakeAssignments",
    "FakeAudit",
    "FakeCategories",
    "FakeCompanies",
    "FakeCustomFields",
    "FakeCustomers",
    "FakeHasher",
    "FakeReps",
    "FakeRoutingReads",
    "FakeRules",
    "FakeSavepoint",
    "FakeTeams",
    "FakeUnitOfWork",
    "FakeUsers",
    "FixedClock",
    "Store",
    "StoreRefused",
    "in_transaction",
]
