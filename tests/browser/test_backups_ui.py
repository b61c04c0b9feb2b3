"""备份 in Chromium, zh-CN, with screenshots: the admin finds the backups page under 管理,
sees the scheduled backup, backs up now, sees it verified, downloads the archive and reads
how to restore."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from playwright.sync_api import Page, expect

from fenpei.jobs.backup import backup_work
from tests.browser.conftest import Live, login, shot


def test_an_admin_backs_up_now_and_downloads_the_verified_archive(
    page: Page, live: Live, tmp_path: Path
) -> None:
    fenpei = live.fenpei
    fenpei.settings = fenpei.settings.model_copy(
        update={"backup_dir": tmp_path / "backups", "files_dir": tmp_path / "files"}
    )
    (tmp_path / "files" / "customers").mkdir(parents=True)
    (tmp_path / "files" / "customers" / "合同.pdf").write_bytes(b"%PDF-1.4\n")
    backup_work(fenpei)  # the scheduled job's run: the week's first, so a weekly one

    login(page, live, "admin", lang="zh-CN")
    page.goto(live.url("/admin/teams"))
    with page.expect_navigation():
        page.locator(".admin-tabs").get_by_role("link", name="备份").click()
    expect(page.locator("h1")).to_have_text("备份与恢复")
    expect(page.locator("table.backups tbody tr")).to_have_count(1)
    expect(page.locator("table.backups tbody tr").first).to_contain_text("每周")

    with page.expect_navigation():
        page.locator("#back-up-now").get_by_role("button", name="立即备份").click()
    expect(page.locator("#made")).to_contain_text("已生成备份")
    expect(page.locator("#made")).to_contain_text("已读回校验，与清单一致。")
    rows = page.locator("table.backups tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("手动")
    expect(rows.first.locator('[data-verified="yes"]')).to_have_text("已校验")
    expect(page.locator("#restore")).to_contain_text("fenpei restore")
    shot(page, "backups-list")

    with page.expect_download(timeout=60_000) as downloading:
        rows.first.get_by_role("link", name="下载").click()
    saved = tmp_path / "downloaded.tar.gz"
    downloading.value.save_as(saved)
    with tarfile.open(saved, "r:gz") as tar:
        names = tar.getnames()
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = json.loads(handle.read())
    assert names[0] == "manifest.json" and "files/customers/合同.pdf" in names
    assert manifest["kind"] == "manual" and manifest["database_kind"] == "sqlite"
    assert manifest["tables"]["customers"]["rows"] > 0
