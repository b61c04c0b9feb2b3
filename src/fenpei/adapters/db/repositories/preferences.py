"""Notification preferences and role defaults (services/notifications/ports.py)."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.preferences import NotificationPreferences, RoleNotificationDefaults
from fenpei.domain.users import Role


class SqlPreferences(Repository):
    def get(self, user_id: int) -> NotificationPreferences | None:
        return self.session.get(NotificationPreferences, user_id)

    def for_users(self, user_ids: Collection[int]) -> list[NotificationPreferences]:
        if not user_ids:
            return []
        c = t.notification_preferences.c
        query = sa.select(NotificationPreferences).where(c.user_id.in_(sorted(user_ids)))
        return list(self.session.scalars(query))

    def digest_users(self) -> list[NotificationPreferences]:
        c = t.notification_preferences.c
        query = (
            sa.select(NotificationPreferences)
            .where(c.digest.is_(True))
            .order_by(c.user_id)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def add(self, prefs: NotificationPreferences) -> None:
        self.session.add(prefs)
        self.session.flush()

    def role_default(self, role: Role) -> RoleNotificationDefaults | None:
        return self.session.get(RoleNotificationDefaults, role)

    def role_defaults(self) -> list[RoleNotificationDefaults]:
        query = sa.select(RoleNotificationDefaults).order_by(t.role_notification_defaults.c.role)
        return list(self.session.scalars(query))

    def add_role_default(self, defaults: RoleNotificationDefaults) -> None:
        self.session.add(defaults)
        self.session.flush()
