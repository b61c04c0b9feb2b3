"""导入 in Chromium, zh-CN, with screenshots: an admin uploads a GBK CSV with Chinese headers,
maps 联系人 to the name by hand (the other columns are guessed), previews the first rows
with the bad cells marked and the whole file's count of bad rows, imports skipping the bad
rows, watches the job page's progress reach the end (htmx polls it while the worker runs
the import) and downloads the error file, which holds exactly the bad rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from fenpei.jobs.worker import Worker
from tests._import_files import gbk_leads
from tests.browser.conftest import Live, login, shot


def test_an_admin_imports_a_gbk_file_skipping_bad_rows_and_downloads_them(
    page: Page, live: Live, tmp_path: Path
) -> None:
    file = gbk_leads(good=8, bad=3)
    login(page, live, "admin", lang="zh-CN")
    page.locator("#nav-imports").click()
    expect(page.locator("h1")).to_have_text("导入客户")
    page.locator("#import-file").set_input_files(
        files=[{"name": file.name, "mimeType": "text/csv", "buffer": file.data}]
    )
    shot(page, "imports-upload")
    with page.expect_navigation():
        page.locator("#upload-button").click()

    expect(page.locator("#file-encoding")).to_have_text("GBK（中文国标编码）")
    expect(page.locator("#file-rows")).to_have_text("11")
    expect(page.locator("#col_0")).to_have_value("company_name")
    expect(page.locator("#col_2")).to_have_value("phone")
    expect(page.locator("#col_1")).to_have_value("ignore")  # 联系人 has no alias
    page.locator("#col_1").select_option("name")
    page.locator("#source").fill("展会 2026")
    page.locator("#mode-skip").check()
    shot(page, "imports-mapping")
    with page.expect_navigation():
        page.locator("#preview-button").click()

    expect(page.locator("#bad-count")).to_have_text("共 11 行，其中 3 行有错误。")
    bad = page.locator("tr.row-bad")
    expect(bad).to_have_count(3)
    expect(bad.first.locator("td.cell-bad")).to_contain_text(f"row {file.bad_lines[0]}.phone")
    expect(bad.first.locator("td.cell-bad")).to_contain_text("只能包含")
    expect(page.locator("#mode-skip")).to_be_checked()
    shot(page, "imports-preview-errors")
    with page.expect_navigation():
        page.locator("#import-button").click()

    expect(page.locator("#import-progress")).to_have_attribute("data-state", "queued")
    shot(page, "imports-job-queued")
    assert Worker(live.fenpei).imports() == 1  # the worker (in `fenpei serve`, or alone)
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-state", "done")  # htmx polled the page there
    expect(page.locator("#rows-done")).to_contain_text("已导入 8 / 8 行")
    expect(page.locator("#import-note")).to_contain_text("跳过 3 行错误行")
    shot(page, "imports-job-done")

    with page.expect_download(timeout=60_000) as download:
        page.locator("#error-file").click()
    saved = tmp_path / "errors.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "展会线索-errors.csv"
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "错误 / error"
    assert [r[1] for r in rows[1:]] == file.bad_names

    page.locator("#nav-imports").click()
    row = page.locator("tr[data-import]").first
    expect(row).to_contain_text("已完成")
    expect(row).to_contain_text("已导入 8 / 8 行")
    shot(page, "imports-list")


def test_the_next_file_of_the_source_gets_its_mapping_back(page: Page, live: Live) -> None:
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url("/imports"))
    file = gbk_leads(good=2, bad=0, name="第二批.csv")
    page.locator("#import-file").set_input_files(
        files=[{"name": file.name, "mimeType": "text/csv", "buffer": file.data}]
    )
    with page.expect_navigation():
        page.locator("#upload-button").click()
    expect(page.locator("#remembered")).to_be_visible()
    expect(page.locator("#col_1")).to_have_value("name")
    shot(page, "imports-mapping-remembered")


def test_a_rep_has_no_import_page(page: Page, live: Live) -> None:
    login(page, live, "rep", lang="zh-CN")
    expect(page.locator("#nav-imports")).to_have_count(0)
    response = page.goto(live.url("/imports"))
    assert response is not None and response.status == 403
