"""What the engine routes: a *work item*, a customer as ever or a task.

Routing a customer reads the customer itself. Routing a task reads a ``TaskItem``: the
task and its first linked customer (None when it has none), so task rules can test both
``task.priority`` and the customer's ``region``. The few customer attributes the engine
reads directly (matching accounts, best-match skills, seniority by level) are the
customer's here too, missing when the task has no customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from fenpei.domain.customers import Customer
from fenpei.domain.tasks import Task


@dataclass(frozen=True)
class TaskItem:
    """A task as the engine routes it, with its first linked customer."""

    task: Task
    customer: Customer | None = None

    @property
    def owner_id(self) -> int | None:
        """The linked customer's owner: whom the ``customer_owner`` target names."""
        return self.customer.owner_id if self.customer is not None else None

    def _of_customer(self, name: str) -> Any:
        return getattr(self.customer, name) if self.customer is not None else None

    @property
    def company_name(self) -> str | None:
        return self._of_customer("company_name")  # type: ignore[no-any-return]

    @property
    def email(self) -> str | None:
        return self._of_customer("email")  # type: ignore[no-any-return]

    @property
    def phone(self) -> str | None:
        return self._of_customer("phone")  # type: ignore[no-any-return]

    @property
    def industry(self) -> str | None:
        return self._of_customer("industry")  # type: ignore[no-any-return]

    @property
    def region(self) -> str | None:
        return self._of_customer("region")  # type: ignore[no-any-return]

    @property
    def product_interest(self) -> str | None:
        return self._of_customer("product_interest")  # type: ignore[no-any-return]

    @property
    def level(self) -> str | None:
        return self._of_customer("level")  # type: ignore[no-any-return]

    @property
    def custom(self) -> dict[str, Any]:
        return self.customer.custom if self.customer is not None else {}


WorkItem: TypeAlias = Customer | TaskItem
