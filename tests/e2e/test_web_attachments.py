"""Attachments (资料) on the customer page: attach, see it listed with who and when,
preview and download it, be told in zh-CN why a disguised or oversized file is refused
(nothing stored), delete it; someone outside the customer's scope finds nothing."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api_org import client_for
from tests.file_samples import WINDOWS_PROGRAM, minimal_pdf, tiny_png


def _attach(client: TestClient, customer_id: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(
        f"/customers/{customer_id}/attachments",
        files={"file": (name, data, "application/octet-stream")},
    )


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-attachment-id="(\d+)">', html)]


def test_a_file_attached_on_the_page_is_listed_previewed_and_downloaded(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    user_client.cookies.set("lang", "zh-CN")
    pdf = minimal_pdf("quote")

    posted = _attach(user_client, seeded.acme_id, "报价单.pdf", pdf)
    _attach(user_client, seeded.acme_id, "名片.png", tiny_png())
    page = user_client.get(posted.headers["location"])
    first = _ids(page.text)
    preview = user_client.get(f"/attachments/{first[1]}?inline=1")
    download = user_client.get(f"/attachments/{first[1]}")

    assert posted.status_code == 303
    assert posted.headers["location"] == f"/customers/{seeded.acme_id}?attached=1#attachments"
    assert "文件已上传。" in page.text and "资料" in page.text
    card = page.text.split('id="attachments"')[1].split("</section>")[0]
    assert "报价单.pdf" in card and "名片.png" in card and "<td>admin</td>" in card
    assert "PDF" in card and "PNG 图片" in card
    assert len(first) == 2  # newest first: the PNG, then the PDF
    assert f'<img class="attachment-thumb" src="/attachments/{first[0]}?inline=1"' in page.text
    assert f'<iframe class="attachment-pdf" src="/attachments/{first[1]}?inline=1"' in page.text
    assert preview.status_code == 200 and preview.content == pdf
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
        in download.headers["content-disposition"]
    )


def test_a_disguised_or_oversized_file_is_refused_in_chinese_and_nothing_is_stored(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    user_client.cookies.set("lang", "zh-CN")
    app.settings.attachment_max_bytes = 4096

    disguised = _attach(user_client, seeded.acme_id, "发票.pdf", WINDOWS_PROGRAM)
    mismatched = _attach(user_client, seeded.acme_id, "扫描件.pdf", tiny_png())
    oversized = _attach(user_client, seeded.acme_id, "大文件.pdf", minimal_pdf() + b"%" * 8192)
    empty = user_client.post(f"/customers/{seeded.acme_id}/attachments", data={"x": "1"})

    assert disguised.status_code == 422
    assert "不接收此文件：它是可执行程序。" in disguised.text
    assert mismatched.status_code == 422
    assert "文件名是 .pdf，内容却是PNG 图片" in mismatched.text
    assert oversized.status_code == 413
    assert "文件超过大小上限 4.0 KB，未保存。" in oversized.text
    assert empty.status_code == 422 and "请选择要上传的文件。" in empty.text
    assert list(app.files.keys()) == []
    assert _ids(user_client.get(f"/customers/{seeded.acme_id}").text) == []


def test_deleting_leaves_the_list_and_strangers_find_nothing(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    _attach(user_client, seeded.acme_id, "notes.txt", "跟进要点\n".encode())
    [attachment_id] = _ids(user_client.get(f"/customers/{seeded.acme_id}").text)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)

    stranger = moses.get(f"/attachments/{attachment_id}")
    owner_page = darcel.get(f"/customers/{seeded.acme_id}").text
    refused = darcel.post(f"/attachments/{attachment_id}/delete")
    deleted = user_client.post(f"/attachments/{attachment_id}/delete")

    assert stranger.status_code == 404
    assert (
        _ids(owner_page) == [attachment_id]
        and "/delete" not in owner_page.split('id="attachments"')[1].split("</section>")[0]
    )
    assert refused.status_code == 403
    assert deleted.status_code == 303 and deleted.headers["location"].endswith(
        "detached=1#attachments"
    )
    assert _ids(user_client.get(f"/customers/{seeded.acme_id}").text) == []
    assert user_client.get(f"/attachments/{attachment_id}").status_code == 404
