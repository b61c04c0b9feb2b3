"""Attachments (资料): the rows naming a customer's stored files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.attachments import Attachment


class SqlAttachments(Repository):
    def add(self, attachment: Attachment) -> None:
        self._add(attachment)

    def get(self, attachment_id: int) -> Attachment | None:
        return self.session.get(Attachment, attachment_id)

    def for_customer(self, customer_id: int, *, limit: int) -> list[Attachment]:
        c = t.attachments.c
        query = (
            sa.select(Attachment)
            .where(c.customer_id == customer_id, c.deleted_at.is_(None))
            .order_by(c.uploaded_at.desc(), c.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def count_for(self, customer_id: int) -> int:
        c = t.attachments.c
        query = sa.select(sa.func.count()).where(
            c.customer_id == customer_id, c.deleted_at.is_(None)
        )
        return self.session.scalar(query) or 0

    def storage_keys(self) -> dict[str, int]:
        c = t.attachments.c
        rows = self.session.execute(sa.select(c.storage_key, c.id))
        return {key: attachment_id for key, attachment_id in rows}

    def mark_deleted(self, attachment_id: int, *, at: datetime, by: str) -> None:
        attachment = self.session.get(Attachment, attachment_id)
        if attachment is not None and attachment.deleted_at is None:
            attachment.deleted_at = at
            attachment.deleted_by = by
            self.session.flush()
