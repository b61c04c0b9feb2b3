"""`fenpei files attach|list|get`: a customer's attachments (资料) from the command line,
acting as the system (an admin); every upload and download is audited."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.cli._files import file_argument, read_bytes
from fenpei.cli._words import LangOption, words
from fenpei.domain.attachments import sanitize_file_name
from fenpei.domain.users import SYSTEM
from fenpei.services.customers import find_customer
from fenpei.services.files import attachments
from fenpei.web._attachments_view import size_text

app = typer.Typer(help="Files and attachments (资料).", no_args_is_help=True)
CustomerArgument = Annotated[str, typer.Argument(help="Customer id or external id.")]


@app.command("attach")
def attach(
    customer: CustomerArgument,
    path: Annotated[Path, typer.Argument(help="The file.", show_default=False)],
    name: Annotated[str | None, typer.Option(help="The name to keep (default: its own).")] = None,
    lang: LangOption = None,
) -> None:
    """Attach a file to a customer (type checked by content, size limited)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        # The file first: one that cannot be attached is the argument's problem (exit 2).
        data = read_bytes(path, argument="PATH")
        file_name = name or path.name
        limit = fenpei.settings.attachment_max_bytes
        with file_argument(path, argument="PATH"):
            if len(data) > limit:
                raise attachments.FileTooLarge.over(limit)
            attachments.sniff_spooled(io.BytesIO(data), size=len(data), name=file_name)
        found = find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        attachment = attachments.upload(
            uow=uow, store=fenpei.files, customer_id=found.id, stream=io.BytesIO(data),
            file_name=file_name, actor=SYSTEM, now=fenpei.now(), max_bytes=limit,
        )  # fmt: skip
        try:
            uow.commit()
        except BaseException:
            attachments.discard(fenpei.files, attachment)
            raise
    console.print(
        said.t(
            "files.cli.attached", id=attachment.id, name=attachment.file_name,
            type=attachment.content_type, customer=found.name,
        )
    )  # fmt: skip


@app.command("list")
def list_(customer: CustomerArgument, lang: LangOption = None) -> None:
    """A customer's files, newest first."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        said = words(fenpei.settings, lang)
        found = find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        listed = attachments.list_attachments(uow=uow, customer_id=found.id, actor=SYSTEM)
    t = said.t
    table = Table(title=t("files.cli.title", customer=found.name))
    for column in ("id", "name", "type", "size", "uploader", "uploaded_at", "sha256"):
        table.add_column(t(f"files.cli.{column}"))
    for a in listed:
        table.add_row(
            str(a.id), a.file_name, a.content_type, size_text(a.size_bytes), a.uploader_name,
            said.when(a.uploaded_at), a.sha256[:12],
        )  # fmt: skip
    console.print(table)


def _writable(target: Path, *, force: bool) -> Path:
    """``target`` if a file may be written there: a new file, or (``force``) a regular
    file to replace; never a directory, a device or a pipe."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except (OSError, ValueError) as exc:
        raise BadArgument("--output", f"cannot be written: {exc}", path=target) from None
    if not stat.S_ISREG(mode):
        raise BadArgument("--output", "is not a regular file", path=target)
    if not force:
        raise BadArgument("--output", "exists: choose another, or add --force", path=target)
    return target


@app.command("check")
def check(
    purge_orphans: Annotated[
        bool, typer.Option(help="Delete stored files that no attachment names.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Compare the attachments with the file store: files missing, files no one names."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        said = words(fenpei.settings, lang)
        found = attachments.check_store(uow=uow, store=fenpei.files, purge_orphans=purge_orphans)
    t = said.t
    console.print(t("files.cli.checked", count=found.checked))
    for attachment_id in found.missing:
        console.print(t("files.cli.missing", id=attachment_id))
    for key in found.orphans:
        console.print(t("files.cli.purged" if purge_orphans else "files.cli.orphan", key=key))
    if found.missing:
        raise typer.Exit(1)


@app.command("get")
def get(
    attachment_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Attachment id.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Where to write (default: its name).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    lang: LangOption = None,
) -> None:
    """Save an attachment to a file."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        found = attachments.get_attachment(uow=uow, attachment_id=attachment_id, actor=SYSTEM)
        target = _writable(Path(output or sanitize_file_name(found.file_name)), force=force)
        download = attachments.open_attachment(
            uow=uow, store=fenpei.files, attachment_id=attachment_id, actor=SYSTEM,
            now=fenpei.now(),
        )  # fmt: skip
        with target.open("wb") as file:
            for chunk in download.chunks:
                file.write(chunk)
        uow.commit()
    console.print(said.t("files.cli.saved", id=attachment_id, path=str(target)))
