"""Export in a real browser, in zh-CN: filter the customer list, click 导出 Excel / 导出 CSV,
and the downloaded file holds exactly the filtered customers, formula text neutralised."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from playwright.sync_api import Browser, Page, expect

from fenpei.domain.users import SYSTEM
from fenpei.services.customers import create_customer
from tests.browser.conftest import Live, login, shot

NAMES = ["导出测试 一号", "导出测试 二号", "=导出测试()"]


def _add_customers(live: Live) -> None:
    fenpei = live.fenpei
    with fenpei.uow() as uow:
        for name in [*NAMES, "不相关的客户"]:
            create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=fenpei.now())
        uow.commit()


def test_the_filtered_list_downloads_as_excel_and_csv_with_exactly_its_rows(
    live: Live, page: Page, tmp_path: Path
) -> None:
    _add_customers(live)
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/customers"))
    page.locator("#f-q").fill("导出测试")
    page.locator("#filters").get_by_role("button", name="搜索").click()
    expect(page.locator("table.customers tbody tr")).to_have_count(len(NAMES))
    excel = page.locator("#export-xlsx")
    expect(excel).to_have_text("导出 Excel")
    expect(excel).to_have_attribute(
        "href", "/exports/customers?format=xlsx&q=%E5%AF%BC%E5%87%BA%E6%B5%8B%E8%AF%95"
    )
    shot(page, "exports-customers-filtered")

    with page.expect_download(timeout=60_000) as download_info:
        excel.click()
    download = download_info.value
    assert download.suggested_filename.startswith("customers-")
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    # The list's own columns, in its order, with its words.
    assert rows[0] == ["客户名称", "公司", "区域", "行业", "等级", "阶段", "评级", "评分", "负责人",
                       "分配时间"]  # fmt: skip
    assert {row[5] for row in rows[1:]} == {"新线索"} and {row[8] for row in rows[1:]} == {"公海"}
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["导出测试 一号", "导出测试 二号", "'=导出测试()"])

    with page.expect_download(timeout=60_000) as csv_info:
        page.locator("#export-csv").click()
    text = Path(csv_info.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    read = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert sorted(row[0] for row in read[1:]) == names


def test_a_manager_exports_the_assignment_history_of_their_team_only(
    live: Live, page: Page
) -> None:
    login(page, live, "manager", lang="zh-CN")
    page.goto(live.url("/exports"))
    expect(page.locator("h1")).to_have_text("导出")
    table = page.locator("table.exports")
    expect(table).to_contain_text("分配记录")
    expect(table).to_contain_text("对照组报表")
    page.locator("#since-assignments").fill("2020-01-01")
    shot(page, "exports-page")

    with page.expect_download(timeout=60_000) as download_info:
        table.locator("tr", has_text="分配记录").get_by_role("button", name="导出 CSV").click()
    text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["编号", "时间", "客户编号", "客户"]
    # East's customers only (Moses's two), not Rosie's West Co.
    assert sorted(row[3] for row in rows[1:]) == sorted(
        ["Acme 上海", "Acme 上海", "<script>alert(1)</script>"]
    )
    assert {row[5] for row in rows[1:]} == {"Moses Frase", "Darcel Schlecht"}


def test_a_rep_sees_no_export_control_while_exports_are_off(live: Live, page: Page) -> None:
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url("/customers"))
    expect(page.locator("table.customers")).to_be_visible()
    expect(page.locator("#export-csv")).to_have_count(0)
    expect(page.locator("#nav-exports")).to_have_count(0)


def test_the_admin_lets_reps_export_and_a_rep_then_gets_only_their_customers(
    live: Live, page: Page, browser: Browser
) -> None:
    # Runs last: it turns exports on for reps.
    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/exports"))
    setting = page.locator("#reps-export-setting")
    checkbox = setting.get_by_label("允许销售人员导出自己的客户")
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    setting.get_by_role("button", name="保存").click()
    expect(setting.locator(".notice")).to_have_text("已保存。")
    expect(setting.get_by_label("允许销售人员导出自己的客户")).to_be_checked()
    shot(page, "exports-setting")

    context = browser.new_context()
    rep_page = context.new_page()
    try:
        login(rep_page, live, "rep", lang="zh-CN")  # Moses
        rep_page.goto(live.url("/customers"))
        expect(rep_page.locator("#nav-exports")).to_be_visible()
        with rep_page.expect_download(timeout=60_000) as download_info:
            rep_page.locator("#export-csv").click()
        text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
        owners = {row[8] for row in list(csv.reader(io.StringIO(text)))[1:]}
        assert owners == {"Moses Frase"}
    finally:
        context.close()
