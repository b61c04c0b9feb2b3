"""Import in the browser over HTTP (导入), on SQLite and PostgreSQL: a GBK file with Chinese
headers is uploaded, mapped (联系人 → name by hand), previewed with its bad cells marked and
counted, imported in skip mode by the worker, and its error file holds exactly the bad rows;
all-or-nothing writes nothing; the mapping is remembered for the next file."""

from __future__ import annotations

import csv
import io
import re

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.jobs.worker import Worker
from tests._import_files import MAPPING, ImportFile, gbk_leads, xlsx_leads
from tests.e2e._visible_text import foreign_words
from tests.e2e.test_web import text_of


def _names(app: Fenpei) -> set[str]:
    import sqlalchemy as sa

    from fenpei.adapters.db import tables

    with app.engine.connect() as connection:
        return set(connection.scalars(sa.select(tables.customers.c.name)))


def _upload(client: TestClient, file: ImportFile) -> int:
    response = client.post("/imports?lang=zh-CN", files={"file": (file.name, file.data)})
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/imports/(\d+)/map", response.headers["location"])
    assert found
    return int(found.group(1))


def _form(headers: list[str], mapping: dict[str, str | None], **extra: str) -> dict[str, str]:
    form = {f"col_{i}": mapping.get(h) or "ignore" for i, h in enumerate(headers)}
    return form | extra


def test_gbk_file_is_mapped_previewed_and_imported_skipping_bad_rows(
    app: Fenpei, user_client: TestClient
) -> None:
    client = user_client
    file = gbk_leads(good=8, bad=3)
    before = _names(app)
    upload_id = _upload(client, file)

    page = client.get(f"/imports/{upload_id}/map?lang=zh-CN").text
    assert "GBK（中文国标编码）" in text_of(page)
    # 公司名称, 手机, 邮箱, 行业 are guessed from their Chinese names; 联系人 is not.
    assert re.search(r'name="col_0"[^>]*>.*?value="company_name" selected', page, re.S)
    assert re.search(r'name="col_1"[^>]*>\s*<option value="ignore" selected', page, re.S)

    headers = list(MAPPING)
    preview = client.post(
        f"/imports/{upload_id}/preview?lang=zh-CN",
        data=_form(headers, MAPPING, mode="skip", route="on"),
    )
    assert preview.status_code == 200, preview.text
    shown = text_of(preview.text)
    assert "共 11 行，其中 3 行有错误。" in shown
    bad_cells = re.findall(r'<tr data-row="(\d+)" class="row-bad">', preview.text)
    assert [int(n) for n in bad_cells] == file.bad_lines
    assert f"row {file.bad_lines[0]}.phone" in shown
    assert _names(app) == before  # a preview writes nothing

    started = client.post(
        f"/imports/{upload_id}/start",
        data=_form(headers, MAPPING, mode="skip", route="on", source="展会 2026"),
    )
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"/imports/{upload_id}"
    waiting = client.get(f"/imports/{upload_id}/progress").text
    assert 'data-state="queued"' in waiting and 'hx-trigger="every 2s"' in waiting

    assert Worker(app).imports() == 1

    job = client.get(f"/imports/{upload_id}?lang=zh-CN").text
    assert 'data-state="done"' in job and '/progress" hx-trigger' not in job
    assert "已导入 8 / 8 行" in text_of(job)
    assert _names(app) - before == set(file.good_names)

    download = client.get(f"/imports/{upload_id}/errors")
    assert download.status_code == 200
    assert download.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == [*headers, "错误 / error"]
    assert [r[1] for r in rows[1:]] == file.bad_names
    assert all("phone" in r[-1] for r in rows[1:])


def test_all_or_nothing_with_a_bad_row_writes_nothing_and_lists_the_errors(
    app: Fenpei, user_client: TestClient
) -> None:
    client = user_client
    file = gbk_leads(good=5, bad=1, name="one-bad.csv")
    before = _names(app)
    upload_id = _upload(client, file)
    client.post(f"/imports/{upload_id}/start", data=_form(list(MAPPING), MAPPING, mode="all"))

    Worker(app).imports()

    job = client.get(f"/imports/{upload_id}?lang=zh-CN").text
    assert 'data-state="failed"' in job
    assert f"row {file.bad_lines[0]}.phone" in text_of(job)
    assert _names(app) == before
    assert client.get(f"/imports/{upload_id}/errors").status_code == 200


def test_the_mapping_is_remembered_for_the_next_file_of_the_same_layout(
    app: Fenpei, user_client: TestClient
) -> None:
    client = user_client
    first = _upload(client, gbk_leads(good=2, bad=0, name="a.csv"))
    client.post(
        f"/imports/{first}/start", data=_form(list(MAPPING), MAPPING, mode="all", source="展会")
    )

    second = _upload(client, gbk_leads(good=3, bad=0, name="b.csv"))
    page = client.get(f"/imports/{second}/map?lang=zh-CN").text
    assert 'id="remembered"' in page
    assert re.search(r'name="col_1"[^>]*>.*?value="name" selected', page, re.S)
    by_name = client.post(f"/imports/{second}/remembered?lang=zh-CN", data={"source": "展会"}).text
    assert "已按“展会”保存的对应关系填好。" in text_of(by_name)


def test_a_workbook_sheet_is_chosen_and_read(app: Fenpei, user_client: TestClient) -> None:
    client = user_client
    upload_id = _upload(client, xlsx_leads())
    page = client.get(f"/imports/{upload_id}/map").text
    assert 'id="sheet"' in page
    chosen = client.post(f"/imports/{upload_id}/sheet", data={"sheet": "线索"})
    assert chosen.status_code == 303
    page = client.get(f"/imports/{upload_id}/map").text
    assert "公司名称" in page and 'id="file-rows">5<' in page


def test_an_unreadable_file_is_refused_on_the_upload_page_and_nothing_is_kept(
    app: Fenpei, user_client: TestClient
) -> None:
    response = user_client.post(
        "/imports?lang=zh-CN", files={"file": ("x.csv", b"\x89PNG\x00\xff\xfe")}
    )
    assert response.status_code == 422
    assert "该文件无法导入" in text_of(response.text)
    assert "x.csv" in text_of(response.text)
    assert "imports" in response.text


def test_the_import_pages_in_zh_cn_show_no_english_but_the_data(
    app: Fenpei, user_client: TestClient
) -> None:
    client = user_client
    client.cookies.set("lang", "zh-CN")
    file = gbk_leads(good=3, bad=2, name="线索.csv")
    upload_id = _upload(client, file)
    form = _form(list(MAPPING), MAPPING, mode="skip", route="on")
    pages = {
        "map": client.get(f"/imports/{upload_id}/map").text,
        "preview": client.post(f"/imports/{upload_id}/preview", data=form).text,
    }
    client.post(f"/imports/{upload_id}/start", data=form)
    pages["queued"] = client.get(f"/imports/{upload_id}").text
    Worker(app).imports()
    pages["done"] = client.get(f"/imports/{upload_id}").text
    pages["list"] = client.get("/imports").text
    # The data: the file's cells, the user, the fields' codes in the error lines, the
    # customer-facing error header; everything else must be Chinese.
    data = [f"lead{i}@example.cn" for i in range(5)] + ["admin", "row", "phone", "error"]
    data += ["12ab", "Ada Admin", "GBK"]
    for name, html in pages.items():
        assert foreign_words(html, data=data) == {}, name
