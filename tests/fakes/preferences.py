"""``FakePreferences`` over the store, mirroring adapters/db/repositories/preferences.py."""

from __future__ import annotations

from collections.abc import Collection

from fenpei.domain.preferences import NotificationPreferences, RoleNotificationDefaults
from fenpei.domain.users import Role
from tests.fakes.store import Store


class FakePreferences:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, user_id: int) -> NotificationPreferences | None:
        return self._store.notification_preferences.rows.get(user_id)

    def for_users(self, user_ids: Collection[int]) -> list[NotificationPreferences]:
        rows = self._store.notification_preferences.rows
        return [rows[user_id] for user_id in sorted(user_ids) if user_id in rows]

    def digest_users(self) -> list[NotificationPreferences]:
        rows = self._store.notification_preferences
        return sorted((p for p in rows if p.digest), key=lambda p: p.user_id)

    def add(self, prefs: NotificationPreferences) -> None:
        self._store.add(self._store.notification_preferences, prefs)

    def role_default(self, role: Role) -> RoleNotificationDefaults | None:
        return self._store.role_notification_defaults.rows.get(role)

    def role_defaults(self) -> list[RoleNotificationDefaults]:
        return sorted(self._store.role_notification_defaults, key=lambda d: d.role.value)

    def add_role_default(self, defaults: RoleNotificationDefaults) -> None:
        self._store.add(self._store.role_notification_defaults, defaults)
