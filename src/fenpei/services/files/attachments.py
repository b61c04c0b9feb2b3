"""Attachments (资料) of a customer: upload, list, open, delete — each within the actor's
data scope (services/scope.py) and written to the audit log.

Who may do what: whoever may see the customer may list and download its files (others are
told it does not exist: 404); whoever may see it and is not a read-only auditor may
upload; the uploader, a manager over the customer or an admin may delete (soft).

An upload is read once, in chunks, into a spooled temporary file while its size is
counted and its SHA-256 computed: past the size limit it stops and nothing is stored.
Its kind is then sniffed from its bytes (domain/file_types.py) and only then does it go
to the file store, under a random key; the row is written in the caller's unit of work.
If that transaction fails, ``discard`` removes the stored bytes again.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, BinaryIO

from fenpei.domain import file_types
from fenpei.domain.attachments import Attachment, sanitize_file_name, with_extension
from fenpei.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.users import Actor, Role
from fenpei.services import scope
from fenpei.services._audit import record
from fenpei.services.files.ports import FileStore, StoredFileMissing
from fenpei.services.ports import UnitOfWork

MAX_LISTED = 200
MAX_FOLLOW_UPS_SEARCHED = 10_000  # a follow-up is looked for among its customer's newest
KEY_PREFIX = "attachments/"  # every attachment's key starts so (the store may hold others)
_CHUNK = 256 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024


class FileTooLarge(ValidationFailed):
    """The upload passed the size limit; nothing was stored (HTTP answers 413)."""

    code = "file_too_large"

    @classmethod
    def over(cls, limit: int) -> FileTooLarge:
        made = cls([FieldError("file", f"is larger than the limit of {limit:,} bytes")])
        made.limit = limit
        return made

    limit: int = 0


class FileRefused(ValidationFailed):
    """The upload's content is not an allowed kind; ``reason`` says what it is."""

    code = "file_refused"
    reason: file_types.Refused | None = None

    @classmethod
    def because(cls, reason: file_types.Refused) -> FileRefused:
        message = f"is not accepted: it is {reason}; allowed: {file_types.ALLOWED_SUMMARY}"
        if reason.code == "mismatch":
            message = f"is not accepted: it is {reason}"
        made = cls([FieldError("file", message)])
        made.reason = reason
        return made


@dataclass(frozen=True)
class Download:
    """An attachment ready to send: its row and its bytes (an iterator, read once)."""

    attachment: Attachment
    chunks: Iterator[bytes]


def _readable_customer(uow: UnitOfWork, actor: Actor, customer_id: int) -> None:
    seen = scope.data_scope(uow=uow, actor=actor)
    scope.visible_customer(seen, uow.customers.get(customer_id), customer_id)


def _visible(uow: UnitOfWork, actor: Actor, attachment_id: int) -> Attachment:
    """The attachment if it exists, is not deleted, and its customer is in scope."""
    attachment = uow.attachments.get(attachment_id)
    if attachment is None or attachment.deleted_at is not None:
        raise NotFound("attachment", attachment_id)
    try:
        _readable_customer(uow, actor, attachment.customer_id)
    except NotFound:
        raise NotFound("attachment", attachment_id) from None
    return attachment


def _spool(stream: IO[bytes], limit: int) -> tuple[IO[bytes], int, str]:
    """Copy ``stream`` into a temporary file: (file at its start, size, sha256 hex)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    try:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FileTooLarge.over(limit)
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size, digest.hexdigest()


def _zip_names(spool: IO[bytes]) -> list[str] | None:
    try:
        with zipfile.ZipFile(spool) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        spool.seek(0)


def sniff_spooled(spool: IO[bytes], *, size: int, name: str) -> file_types.FileKind:
    """The kind of the spooled upload, or FileRefused."""
    head = spool.read(file_types.HEAD_BYTES)
    spool.seek(0)
    zip_names = _zip_names(spool) if head.startswith((b"PK\x03\x04", b"PK\x05\x06")) else None
    try:
        return file_types.sniff(head, name=name, zip_names=zip_names, complete=size <= len(head))
    except file_types.Refused as refused:
        raise FileRefused.because(refused) from None


def _chunks_of(spool: IO[bytes]) -> Iterator[bytes]:
    while chunk := spool.read(_CHUNK):
        yield chunk


def require_uploader(*, uow: UnitOfWork, actor: Actor, customer_id: int) -> None:
    """The actor may attach files to the customer: sees it (else NotFound), not an auditor."""
    _readable_customer(uow, actor, customer_id)
    if actor.role is Role.auditor:
        raise PermissionDenied("an auditor may not upload files")


def _check_owners(
    uow: UnitOfWork, customer_id: int, *, task_id: int | None, follow_up_id: int | None
) -> None:
    """A task or follow-up the file is narrowed to must be the customer's own."""
    errors = []
    if task_id is not None and customer_id not in uow.tasks.customer_ids([task_id]).get(
        task_id, []
    ):
        errors.append(FieldError("task_id", f"task {task_id} is not one of this customer's"))
    if follow_up_id is not None:
        own = uow.follow_ups.for_customer(customer_id, limit=MAX_FOLLOW_UPS_SEARCHED)
        if all(f.id != follow_up_id for f in own):
            message = f"follow-up {follow_up_id} is not one of this customer's"
            errors.append(FieldError("follow_up_id", message))
    if errors:
        raise ValidationFailed(errors)


def new_key(now: datetime) -> str:
    """A random key, never derived from the user's file name."""
    return f"{KEY_PREFIX}{now:%Y/%m}/{secrets.token_hex(16)}"


def upload(
    *,
    uow: UnitOfWork,
    store: FileStore,
    customer_id: int,
    stream: IO[bytes] | BinaryIO,
    file_name: str,
    actor: Actor,
    now: datetime,
    max_bytes: int,
    task_id: int | None = None,
    follow_up_id: int | None = None,
) -> Attachment:
    """Attach the file read from ``stream`` to a customer (and, optionally, to one of its
    tasks or follow-ups): size-limited, sniffed, stored, recorded and audited (the caller
    commits; on failure it calls ``discard``)."""
    require_uploader(uow=uow, actor=actor, customer_id=customer_id)
    _check_owners(uow, customer_id, task_id=task_id, follow_up_id=follow_up_id)
    name = sanitize_file_name(file_name or "")
    spool, size, sha256 = _spool(stream, max_bytes)
    with spool:
        kind = sniff_spooled(spool, size=size, name=name)
        key = new_key(now)
        store.put(key, _chunks_of(spool), kind.content_type)
    attachment = Attachment(
        customer_id=customer_id,
        storage_key=key,
        file_name=with_extension(name, kind.extensions[0]),
        content_type=kind.content_type,
        size_bytes=size,
        sha256=sha256,
        uploaded_by=actor.user_id,
        uploader_name=actor.name[:64],
        uploaded_at=now,
        task_id=task_id,
        follow_up_id=follow_up_id,
    )
    try:
        uow.attachments.add(attachment)
        record(uow, actor=actor, action="attachment.upload", obj=attachment, now=now)
    except BaseException:
        store.delete(key)
        raise
    return attachment


def discard(store: FileStore, attachment: Attachment) -> None:
    """Remove the bytes of an upload whose transaction did not commit."""
    store.delete(attachment.storage_key)


def list_attachments(
    *, uow: UnitOfWork, customer_id: int, actor: Actor, limit: int = MAX_LISTED
) -> list[Attachment]:
    """The customer's files, newest first (404 outside the actor's scope)."""
    _readable_customer(uow, actor, customer_id)
    return uow.attachments.for_customer(customer_id, limit=limit)


def get_attachment(*, uow: UnitOfWork, attachment_id: int, actor: Actor) -> Attachment:
    """One attachment's row (404 if deleted or outside the actor's scope)."""
    return _visible(uow, actor, attachment_id)


def open_attachment(
    *,
    uow: UnitOfWork,
    store: FileStore,
    attachment_id: int,
    actor: Actor,
    now: datetime,
    inline: bool = False,
) -> Download:
    """An attachment's bytes for the actor, the download audited (the caller commits
    before sending). A file missing from the store is reported as not found."""
    attachment = _visible(uow, actor, attachment_id)
    try:
        chunks = store.open(attachment.storage_key)
    except StoredFileMissing:
        raise NotFound("attachment file", attachment_id) from None
    action = "attachment.preview" if inline else "attachment.download"
    record(uow, actor=actor, action=action, obj=attachment, now=now, before=None)
    return Download(attachment, chunks)


@dataclass(frozen=True)
class StoreCheck:
    """Rows whose bytes the store lacks, and stored files no row names (an upload whose
    transaction failed after its bytes were stored, a process killed in between)."""

    checked: int
    missing: list[int]  # attachment ids
    orphans: list[str]  # storage keys


def check_store(*, uow: UnitOfWork, store: FileStore, purge_orphans: bool = False) -> StoreCheck:
    """Compare the attachment rows with the file store; ``purge_orphans`` deletes the
    stored files no row names."""
    known = uow.attachments.storage_keys()
    stored = set(store.keys(KEY_PREFIX))
    missing = sorted(attachment_id for key, attachment_id in known.items() if key not in stored)
    orphans = sorted(stored - known.keys())
    if purge_orphans:
        for key in orphans:
            store.delete(key)
    return StoreCheck(checked=len(known), missing=missing, orphans=orphans)


def may_delete(*, uow: UnitOfWork, actor: Actor, attachment: Attachment) -> bool:
    """The uploader, a manager over the customer, or an admin (never an auditor)."""
    if actor.role is Role.auditor:
        return False
    if actor.is_admin or actor.role is Role.manager:
        return True
    return actor.user_id is not None and attachment.uploaded_by == actor.user_id


def delete_attachment(*, uow: UnitOfWork, attachment_id: int, actor: Actor, now: datetime) -> None:
    """Soft-delete an attachment (the bytes stay for the record), audited."""
    attachment = _visible(uow, actor, attachment_id)
    if not may_delete(uow=uow, actor=actor, attachment=attachment):
        raise PermissionDenied("only the uploader, a manager or an admin may delete this file")
    before = {"deleted_at": None, "deleted_by": None}
    uow.attachments.mark_deleted(attachment_id, at=now, by=actor.name[:64])
    record(uow, actor=actor, action="attachment.delete", obj=attachment, now=now, before=before)
