"""资料 in Chromium, zh-CN, with screenshots: a rep attaches a real PDF and a picture to
their customer, sees them listed (name, type, size, who, when), the picture as a
thumbnail and the PDF in the browser's own viewer; a program named .pdf is refused."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, login, shot
from tests.file_samples import WINDOWS_PROGRAM, minimal_pdf, tiny_png


def test_a_rep_attaches_a_pdf_sees_it_listed_and_previews_it(page: Page, live: Live) -> None:
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url(f"/customers/{live.world.acme}"))
    card = page.locator("#attachments")
    expect(card).to_contain_text("还没有资料。")
    pdf = minimal_pdf("Quote 2026")

    card.locator("#attach-file").set_input_files(
        {"name": "报价单 2026.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    with page.expect_navigation():
        card.get_by_role("button", name="上传", exact=True).click()
    card.locator("#attach-file").set_input_files(
        {"name": "名片.png", "mimeType": "image/png", "buffer": tiny_png(64, 40)}
    )
    with page.expect_navigation():
        card.get_by_role("button", name="上传", exact=True).click()

    expect(card.locator("p.notice")).to_contain_text("文件已上传。")
    rows = card.locator("tr.attachment")
    expect(rows).to_have_count(2)
    pdf_row = rows.filter(has_text="报价单 2026.pdf")
    expect(pdf_row).to_contain_text("PDF")
    expect(pdf_row).to_contain_text("rep")
    thumb = rows.filter(has_text="名片.png").locator("img.attachment-thumb")
    expect(thumb).to_be_visible()
    # decode() waits for the picture to load (checking `complete` at once raced it on CI)
    assert thumb.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64

    preview = card.locator("details.pdf-preview")
    preview.locator("summary").click()
    frame = preview.locator("iframe.attachment-pdf")
    expect(frame).to_be_visible()
    source = frame.get_attribute("src")
    assert source is not None
    served = page.request.get(live.url(source))
    assert served.status == 200 and served.body() == pdf
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("inline;")
    page.wait_for_timeout(500)  # let the PDF viewer paint before the picture is taken
    card.scroll_into_view_if_needed()
    shot(page, "attachments-pdf-preview")


def test_a_program_named_pdf_is_refused_with_the_reason(page: Page, live: Live) -> None:
    login(page, live, "rep", lang="zh-CN")
    page.goto(live.url(f"/customers/{live.world.acme}"))
    card = page.locator("#attachments")
    before = card.locator("tr.attachment").count()

    card.locator("#attach-file").set_input_files(
        {"name": "发票.pdf", "mimeType": "application/pdf", "buffer": WINDOWS_PROGRAM}
    )
    with page.expect_navigation():
        card.get_by_role("button", name="上传", exact=True).click()

    expect(page.locator("#attach-error")).to_have_text("不接收此文件：它是可执行程序。")
    expect(page.locator("#attachments tr.attachment")).to_have_count(before)
    page.locator("#attachments").scroll_into_view_if_needed()
    shot(page, "attachments-refused")
