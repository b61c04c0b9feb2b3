"""Issue 16's whole browser flow in Chromium, zh-CN, one admin, with a screenshot per step:
upload a GBK file with Chinese headers, map its columns, preview the errors, import (bad
rows skipped), export the filtered list as Excel, attach a PDF to an imported customer,
and merge it with the customer it duplicates — the PDF and the history go with it.

Each part has its own, more thorough test (``test_imports_ui``, ``test_exports_ui``,
``test_attachments_ui``, ``test_dedupe_ui``); this one shows they work on each other's
data: what the import wrote is what the export holds and what the merge finds."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.jobs.worker import Worker
from fenpei.services.customers import create_customer
from tests._import_files import gbk_leads
from tests.browser.conftest import Live, login, shot
from tests.file_samples import minimal_pdf


def _confirm(page: Page) -> None:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.locator("[data-confirm-ok]").click()


def test_import_export_attach_and_merge_in_one_zh_cn_session(
    page: Page, live: Live, tmp_path: Path
) -> None:
    file = gbk_leads(good=6, bad=2, name="华东展会.csv")
    first_name = file.good_names[0]  # 联系人0000: phone 13800000000, 华东0000科技有限公司
    with live.fenpei.uow() as uow:  # already known, under another spelling: a duplicate
        known = create_customer(
            uow=uow, actor=SYSTEM, now=live.fenpei.now(),
            fields={"name": "老客户 王经理", "company_name": "华东0000科技",
                    "phone": "+86 138-0000-0000"},
        )  # fmt: skip
        uow.commit()
    login(page, live, "admin", lang="zh-CN")

    # 1. Upload the GBK file; its Chinese headers are recognised, 联系人 is mapped by hand.
    page.locator("#nav-imports").click()
    page.locator("#import-file").set_input_files(
        files=[{"name": file.name, "mimeType": "text/csv", "buffer": file.data}]
    )
    with page.expect_navigation():
        page.locator("#upload-button").click()
    expect(page.locator("#file-encoding")).to_have_text("GBK（中文国标编码）")
    expect(page.locator("#col_0")).to_have_value("company_name")
    page.locator("#col_1").select_option("name")
    page.locator("#mode-skip").check()
    shot(page, "flow-1-mapping")

    # 2. The preview marks the bad cells before anything is written.
    with page.expect_navigation():
        page.locator("#preview-button").click()
    expect(page.locator("#bad-count")).to_have_text("共 8 行，其中 2 行有错误。")
    expect(page.locator("tr.row-bad")).to_have_count(2)
    shot(page, "flow-2-preview")

    # 3. Import, skipping the bad rows; the worker (in `fenpei serve`) runs it.
    with page.expect_navigation():
        page.locator("#import-button").click()
    assert Worker(live.fenpei).imports() == 1
    expect(page.locator("#import-progress")).to_have_attribute("data-state", "done")
    expect(page.locator("#rows-done")).to_contain_text("已导入 6 / 6 行")
    shot(page, "flow-3-imported")

    # 4. Filter the customer list to the imported contacts and export it as Excel.
    page.goto(live.url("/customers"))
    page.locator("#f-q").fill("联系人")
    page.locator("#filters").get_by_role("button", name="搜索").click()
    expect(page.locator("table.customers tbody tr")).to_have_count(len(file.good_names))
    shot(page, "flow-4-filtered")
    with page.expect_download(timeout=60_000) as download:
        page.locator("#export-xlsx").click()
    saved = tmp_path / "customers.xlsx"
    download.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "客户名称"
    assert sorted(str(row[0]) for row in rows[1:]) == sorted(file.good_names)

    # 5. Attach a PDF to the first imported customer.
    page.get_by_role("link", name=first_name, exact=True).click()
    imported_url = page.url
    card = page.locator("#attachments")
    card.locator("#attach-file").set_input_files(
        {"name": "报价单.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf("Quote")}
    )
    with page.expect_navigation():
        card.get_by_role("button", name="上传", exact=True).click()
    expect(card.locator("tr.attachment")).to_have_count(1)
    expect(card.locator("tr.attachment")).to_contain_text("报价单.pdf")
    card.scroll_into_view_if_needed()
    shot(page, "flow-5-attached")

    # 6. The duplicate scan pairs it with the customer known before; merge into that one.
    page.locator("#nav-dedupe").click()
    with page.expect_navigation():
        page.locator("#dedupe-scan").click()
    pair = page.locator("tr[data-pair]").filter(has_text=first_name).filter(has_text="老客户")
    expect(pair).to_contain_text("电话相同")
    shot(page, "flow-6-pairs")
    pair.get_by_role("link", name="核对合并").click()
    expect(page.locator("h1")).to_have_text("合并客户")
    if f"survivor={known.id}&" not in page.url:  # keep the one known before
        with page.expect_navigation():
            page.locator("#dedupe-swap").click()
    assert f"survivor={known.id}&" in page.url
    shot(page, "flow-7-merge")
    page.locator("#dedupe-merge-submit").click()
    _confirm(page)
    expect(page.locator("#dedupe-done")).to_contain_text("已合并")

    # The survivor now holds the PDF; the imported copy is gone from view.
    page.goto(live.url(f"/customers/{known.id}"))
    expect(page.locator("#attachments tr.attachment")).to_contain_text("报价单.pdf")
    page.locator("#attachments").scroll_into_view_if_needed()
    shot(page, "flow-8-survivor")
    response = page.goto(imported_url)
    assert response is not None and response.status == 404
