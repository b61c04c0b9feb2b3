"""Attachments (资料) over HTTP, on SQLite and PostgreSQL: a rep attaches a real PDF to
their customer and downloads it with safe headers; a rep outside the customer's scope
finds nothing (404); disguised files and files over the limit are refused with nothing
stored; deleting is soft and limited; every upload, download and delete is audited."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from fenpei.adapters.storage.local import LocalFileStore
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.fakes import FixedClock
from tests.file_samples import HTML_PAGE, WINDOWS_PROGRAM, minimal_pdf, tiny_png
from tests.integration._s3_server import s3_server, s3_store


@pytest.fixture
def files(app: Fenpei, tmp_path: Path) -> LocalFileStore:
    """The app's file store, in the test's own folder."""
    store = LocalFileStore(tmp_path / "files")
    app.files = store
    return store


def _upload(client: TestClient, customer_id: int, name: str, data: bytes) -> Response:
    return client.post(
        f"{API}/customers/{customer_id}/attachments",
        files={"file": (name, data, "application/octet-stream")},
    )


def _audit_actions(app: Fenpei, attachment_id: int) -> list[str]:
    with app.uow(read_only=True) as uow:
        entries = uow.audit.find(object_type="attachment", object_id=str(attachment_id))
    return sorted(e.action for e in entries)


def test_the_owner_attaches_a_pdf_lists_it_and_downloads_it_safely(
    app: Fenpei, seeded: World, files: LocalFileStore
) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    pdf = minimal_pdf("contract")

    made = ok(_upload(darcel, seeded.acme_id, "合同 2026.pdf", pdf), 201)
    listed = ok(darcel.get(f"{API}/customers/{seeded.acme_id}/attachments"))
    download = darcel.get(made["download_url"])
    preview = darcel.get(made["preview_url"])

    assert made["file_name"] == "合同 2026.pdf" and made["content_type"] == "application/pdf"
    assert made["size_bytes"] == len(pdf) and len(made["sha256"]) == 64
    assert made["uploader_name"] == "darcel"
    assert [a["id"] for a in listed] == [made["id"]]
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('合同 2026.pdf', safe='')}" in disposition
    assert "sandbox" in download.headers["content-security-policy"]
    assert preview.headers["content-disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in preview.headers["content-security-policy"]
    assert len(list(files.keys())) == 1


def test_a_rep_or_manager_outside_the_scope_finds_nothing(
    app: Fenpei, seeded: World, files: LocalFileStore
) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    made = ok(_upload(darcel, seeded.acme_id, "photo.png", tiny_png()), 201)
    with app.uow() as uow:
        west = org.create_team(uow=uow, name="West 华西", actor=SYSTEM, now=app.now())
        other = org.create_rep(
            uow=uow, fields={"name": "Wei Other", "team_id": west.id}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    stranger = client_for(app, "wei", Role.rep, rep_id=other.id)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)

    for client in (stranger, moses):
        assert_error(client.get(f"{API}/customers/{seeded.acme_id}/attachments"), 404, "not_found")
        assert_error(client.get(f"{API}/attachments/{made['id']}"), 404, "not_found")
        assert_error(client.get(f"{API}/attachments/{made['id']}/content"), 404, "not_found")
        assert_error(client.delete(f"{API}/attachments/{made['id']}"), 404, "not_found")
        assert_error(_upload(client, seeded.acme_id, "x.png", tiny_png()), 404, "not_found")
    assert len(list(files.keys())) == 1


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("invoice.pdf", WINDOWS_PROGRAM, "Windows program"),
        ("report.pdf", HTML_PAGE, "HTML"),
        ("scan.pdf", tiny_png(), "named .pdf but its content is PNG image"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_a_disguised_file_is_refused_and_nothing_is_stored(
    app: Fenpei, seeded: World, files: LocalFileStore, name: str, data: bytes, says: str
) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)

    response = _upload(darcel, seeded.acme_id, name, data)

    assert_error(response, 422, "file_refused", "file")
    assert says in response.json()["message"]
    assert list(files.keys()) == []
    assert ok(darcel.get(f"{API}/customers/{seeded.acme_id}/attachments")) == []


def test_a_file_over_the_limit_answers_413_and_nothing_is_stored(
    app: Fenpei, seeded: World, files: LocalFileStore
) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    app.settings.attachment_max_bytes = 2048

    response = _upload(darcel, seeded.acme_id, "big.pdf", minimal_pdf() + b"%" * 4096)
    missing = darcel.post(f"{API}/customers/{seeded.acme_id}/attachments", data={"x": "1"})

    assert_error(response, 413, "file_too_large", "file")
    assert "2,048 bytes" in response.json()["message"]
    assert_error(missing, 422, "validation_failed", "file")
    assert list(files.keys()) == []
    assert ok(darcel.get(f"{API}/customers/{seeded.acme_id}/attachments")) == []


def test_only_the_uploader_a_manager_or_an_admin_deletes_and_it_is_audited(
    app: Fenpei, seeded: World, files: LocalFileStore, user_client: TestClient
) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    auditor = client_for(app, "audrey", Role.auditor)
    made = ok(user_client.post(
        f"{API}/customers/{seeded.acme_id}/attachments",
        files={"file": ("价格表.csv", "产品,价格\n甲,1\n".encode("gbk"), "text/csv")},
    ), 201)  # fmt: skip
    url = f"{API}/attachments/{made['id']}"

    assert made["content_type"] == "text/csv; charset=gb18030"
    assert darcel.get(f"{url}/content").status_code == 200  # the owner reads it
    assert_error(darcel.delete(url), 403, "permission_denied")  # but did not upload it
    assert_error(auditor.delete(url), 403, "permission_denied")
    assert_error(_upload(auditor, seeded.acme_id, "a.png", tiny_png()), 403, "permission_denied")
    assert user_client.delete(url).status_code == 204
    assert_error(darcel.get(url), 404, "not_found")
    assert ok(user_client.get(f"{API}/customers/{seeded.acme_id}/attachments")) == []
    assert files.exists(next(iter(files.keys())))  # soft: the bytes stay for the record
    assert _audit_actions(app, made["id"]) == [
        "attachment.delete",
        "attachment.download",
        "attachment.upload",
    ]


def test_the_same_flow_works_on_s3_compatible_storage(app: Fenpei, seeded: World) -> None:
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    pdf = minimal_pdf("on s3")
    with s3_server() as endpoint:
        # moto keeps buckets per process, across servers: a bucket of the test's own
        app.files = store = s3_store(endpoint, bucket=f"fenpei-e2e-{uuid.uuid4().hex[:12]}")

        made = ok(_upload(darcel, seeded.acme_id, "合同.pdf", pdf), 201)
        refused = _upload(darcel, seeded.acme_id, "invoice.pdf", WINDOWS_PROGRAM)
        download = darcel.get(made["download_url"])

        assert download.status_code == 200 and download.content == pdf
        assert_error(refused, 422, "file_refused", "file")
        assert len(list(store.keys())) == 1


def test_a_file_may_be_narrowed_to_one_of_the_customers_tasks_or_follow_ups(
    app: Fenpei, seeded: World, clock: FixedClock
) -> None:
    clock.advance(days=2)  # after the seeded reassignment
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    url = f"{API}/customers/{seeded.acme_id}"
    follow_up = ok(darcel.post(f"{url}/follow-ups", json={"kind": "visit", "content": "拜访"}), 201)
    files = {"file": ("纪要.txt", "会议纪要\n".encode(), "text/plain")}

    narrowed = ok(darcel.post(f"{url}/attachments", files=files,
                              data={"follow_up_id": str(follow_up["id"])}), 201)  # fmt: skip
    wrong = darcel.post(f"{url}/attachments", files=files, data={"follow_up_id": "999999"})
    no_task = darcel.post(f"{url}/attachments", files=files, data={"task_id": "999999"})
    with app.uow() as uow:
        task = create_and_route(
            uow=uow, actor=SYSTEM, now=clock.now(), assignee_id=seeded.darcel_id,
            data=TaskInput(title="送报价", customer_ids=[seeded.acme_id]),
        )  # fmt: skip
        uow.commit()
    on_task = ok(darcel.post(f"{url}/attachments", files=files,
                             data={"task_id": str(task.id)}), 201)  # fmt: skip
    elsewhere = client_for(app, "boss", Role.admin).post(
        f"{API}/customers/{seeded.script_id}/attachments", files=files,
        data={"task_id": str(task.id)},
    )  # fmt: skip

    assert narrowed["follow_up_id"] == follow_up["id"] and narrowed["task_id"] is None
    assert_error(wrong, 422, "validation_failed", "follow_up_id")
    assert_error(no_task, 422, "validation_failed", "task_id")
    assert on_task["task_id"] == task.id
    assert_error(elsewhere, 422, "validation_failed", "task_id")  # the task is Acme's
    assert len(ok(darcel.get(f"{url}/attachments"))) == 2
