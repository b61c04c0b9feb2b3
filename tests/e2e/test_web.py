"""The pages over HTTP: login, the customer list and page, escaping, two languages."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from starlette.testclient import TestClient

from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.config import Language
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Stage
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.sessions import SESSION_COOKIE
from fenpei.services import rules, users
from fenpei.services.customers import create_customer
from fenpei.services.rep_status import StatusKind
from fenpei.web.i18n import catalog
from fenpei.web.rendering import TEMPLATES_DIR
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, World, log_in, login_form
from tests.fakes import FixedClock

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def text_of(page: str) -> str:
    """The visible words of a page, tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def rows(page: str) -> list[str]:
    """The visible text of each row of the customer table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# --- logging in -----------------------------------------------------------------------------


def test_pages_redirect_to_login_keeping_where_you_were(client: TestClient, seeded: World) -> None:
    for path in ["/customers?q=acme&stage=new", f"/customers/{seeded.acme_id}"]:
        response = client.get(path)

        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login"
        assert parse_qs(location.query) == {"next": [path]}


def test_root_goes_to_the_customer_list(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 303 and response.headers["location"] == "/customers"


def test_login_page_shows_the_form(client: TestClient) -> None:
    response = client.get("/login", params={"next": "/customers/3"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/login">' in response.text
    assert 'name="next" value="/customers/3"' in response.text
    assert "用户名" in response.text and "密码" in response.text


def test_wrong_password_shows_the_form_again_with_400_and_no_cookie(
    client: TestClient, seeded: World
) -> None:
    wrong_password = client.post(
        "/login", data=login_form(client, username=ADMIN_USERNAME, password="nope")
    )
    unknown_user = client.post("/login", data=login_form(client, username="ghost", password="nope"))
    empty = client.post("/login", data=login_form(client))

    for response in (wrong_password, unknown_user, empty):
        assert response.status_code == 400
        assert "用户名或密码错误" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert SESSION_COOKIE not in client.cookies
    # Nothing tells which part was wrong: the two answers differ only in the echoed username.
    assert wrong_password.text.replace(ADMIN_USERNAME, "ghost") == unknown_user.text


def test_login_sets_an_http_only_lax_cookie_and_goes_on_to_next(
    client: TestClient, seeded: World
) -> None:
    form = login_form(
        client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD, next="/customers?q=a"
    )
    response = client.post("/login", data=form)

    assert response.status_code == 303 and response.headers["location"] == "/customers?q=a"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/customers").status_code == 200


def test_login_never_redirects_off_site(client: TestClient, seeded: World) -> None:
    for target in ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:1"]:
        client.cookies.clear()
        form = login_form(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD, next=target)
        response = client.post("/login", data=form)

        assert response.status_code == 303 and response.headers["location"] == "/customers"


def test_tampered_cookie_sends_pages_back_to_login(user_client: TestClient) -> None:
    token = user_client.cookies[SESSION_COOKIE]
    user_client.cookies.clear()
    user_client.cookies.set(SESSION_COOKIE, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))

    response = user_client.get("/customers")

    assert response.status_code == 303 and response.headers["location"].startswith("/login?")


def test_logout_forgets_the_session(user_client: TestClient) -> None:
    response = user_client.post("/logout")

    assert response.status_code == 303
    assert SESSION_COOKIE not in user_client.cookies
    assert user_client.get("/customers").status_code == 303


# --- the customer list ----------------------------------------------------------------------


def test_customer_list_shows_a_row_per_customer(user_client: TestClient, seeded: World) -> None:
    response = user_client.get("/customers")

    assert response.status_code == 200
    assert rows(response.text) == [
        f"{SCRIPT} <b>Evil</b> Corp 新线索 公海",
        "Globex West retail 已成交 公海",
        "Acme 上海 Acme East A 新线索 Darcel Schlecht 2026-11-03",
    ]
    assert f'href="/customers/{seeded.acme_id}"' in response.text
    assert "共 3 个客户" in response.text and "第 1 / 1 页" in response.text


def test_customer_list_search_and_stage_filter(user_client: TestClient, seeded: World) -> None:
    by_text = user_client.get("/customers", params={"q": "globex", "stage": ""})
    by_stage = user_client.get("/customers", params={"q": "", "stage": "new"})
    none = user_client.get("/customers", params={"q": "globex", "stage": "lost"})

    assert [r.split()[0] for r in rows(by_text.text)] == ["Globex"]
    assert 'name="q" value="globex"' in by_text.text
    assert len(rows(by_stage.text)) == 2 and '<option value="new" selected>' in by_stage.text
    assert rows(none.text) == [] and "没有找到客户。" in none.text


def test_customer_list_pages_through_many_customers(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        for n in range(26):
            when = clock.at + timedelta(hours=1, minutes=n)
            create_customer(uow=uow, fields={"name": f"Lead {n:02}"}, actor=SYSTEM, now=when)
        uow.commit()

    first = user_client.get("/customers")
    second = user_client.get("/customers", params={"page": 2})
    past_the_end = user_client.get("/customers", params={"page": 9})

    assert len(rows(first.text)) == 25 and rows(first.text)[0].startswith("Lead 25")
    assert "共 29 个客户" in first.text and "第 1 / 2 页" in first.text
    assert 'rel="next" href="/customers?page=2"' in first.text and 'rel="prev"' not in first.text
    assert len(rows(second.text)) == 4 and rows(second.text)[-1].startswith("Acme")
    assert 'rel="prev" href="/customers"' in second.text and 'rel="next"' not in second.text
    assert past_the_end.status_code == 200 and "没有找到客户。" in past_the_end.text


def test_bad_page_parameters_show_an_error_page_not_a_crash(user_client: TestClient) -> None:
    for query in ["page=abc", "page=0", "stage=nonsense", "q=%00"]:
        response = user_client.get(f"/customers?{query}")

        assert response.status_code == 422, query
        assert response.headers["content-type"].startswith("text/html")
        assert "出错了" in response.text


# --- one customer ---------------------------------------------------------------------------


def test_customer_page_shows_attributes_and_history_in_words(
    user_client: TestClient, seeded: World
) -> None:
    response = user_client.get(f"/customers/{seeded.acme_id}")

    assert response.status_code == 200
    words = text_of(response.text)
    assert "负责人 Darcel Schlecht" in words and "团队 East 华东" in words
    assert "分配记录" in words
    assert "2026-11-02 17:30 · 手动分配 → Moses Frase · 操作人：系统" in words
    assert (
        "2026-11-03 17:30 · 转移 Moses Frase → Darcel Schlecht · 原因：Moses is on leave"
        " · 操作人：系统" in words
    )


def test_customer_without_history_says_so(user_client: TestClient, seeded: World) -> None:
    words = text_of(user_client.get(f"/customers/{seeded.globex_id}").text)

    assert "负责人 公海" in words and "暂无分配记录。" in words


def test_unknown_customer_page_is_404(user_client: TestClient, seeded: World) -> None:
    response = user_client.get("/customers/999999")

    assert response.status_code == 404
    assert "找不到该页面或对象。" in response.text


def test_customer_names_are_escaped_in_list_and_detail(
    user_client: TestClient, seeded: World
) -> None:
    for path in ["/customers", f"/customers/{seeded.script_id}"]:
        html = user_client.get(path).text

        assert SCRIPT not in html and "<b>Evil</b>" not in html, path
        assert ESCAPED_SCRIPT in html, path


# --- languages ------------------------------------------------------------------------------


def test_language_switch_renders_english_and_is_remembered(
    user_client: TestClient, seeded: World
) -> None:
    english = user_client.get("/customers", params={"lang": "en"})

    assert '<html lang="en">' in english.text
    assert "Owner" in english.text and "Pool" in english.text and "Log out" in english.text
    assert "负责人" not in english.text and "公海" not in english.text
    assert user_client.cookies["lang"] == "en"
    detail = text_of(user_client.get(f"/customers/{seeded.acme_id}").text)
    assert (
        "2026-11-03 17:30 · transfer Moses Frase → Darcel Schlecht · reason: Moses is on leave"
        in (detail)
    )

    chinese = user_client.get("/customers", params={"lang": "zh-CN"})

    assert '<html lang="zh-CN">' in chinese.text and "负责人" in chinese.text
    assert "Owner" not in chinese.text and user_client.cookies["lang"] == "zh-CN"


def test_language_links_keep_the_current_filters(user_client: TestClient, seeded: World) -> None:
    html = user_client.get("/customers", params={"q": "acme"}).text

    assert 'href="/customers?q=acme&amp;lang=en"' in html


def test_unknown_language_falls_back_to_the_configured_one(app: Fenpei, client: TestClient) -> None:
    assert '<html lang="zh-CN">' in client.get("/login", params={"lang": "klingon"}).text

    english_default = dataclasses.replace(
        app, settings=app.settings.model_copy(update={"language": Language.en})
    )
    with TestClient(create_app(english_default)) as english_client:
        html = english_client.get("/login").text

    assert '<html lang="en">' in html and "Username" in html


def test_every_string_a_template_uses_is_translated() -> None:
    used = set()
    for template in TEMPLATES_DIR.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""", template.read_text()))
    # Keys built in templates ("stage." ~ value) and in code.
    used |= {f"stage.{s.value}" for s in Stage} | {f"method.{m.value}" for m in AssignMethod}
    used |= {"login.failed", "error.not_found", "error.bad_request", "error.unavailable"}
    used |= {"error.csrf"} | {f"org.status.{kind.value}" for kind in StatusKind}

    assert len(used) > 40 and "nav.customers" in used  # the scan itself works
    for language in Language:
        assert used - set(catalog(language)) == set(), language
        assert all(catalog(language).values()), language
    assert set(catalog(Language.en)) == set(catalog(Language.zh_cn))


def test_stylesheet_is_served_and_pages_use_no_external_assets(
    user_client: TestClient, seeded: World
) -> None:
    css = user_client.get("/static/fenpei.css")

    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for path in ["/customers", f"/customers/{seeded.acme_id}", "/login"]:
        html = user_client.get(path).text
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html), path


# --- creating a customer --------------------------------------------------------------------


def _total_customers(client: TestClient) -> str:
    found = re.search(r"共 (\d+) 个客户", client.get("/customers").text)
    assert found
    return found.group(1)


def test_new_customer_form_has_a_label_for_every_input(user_client: TestClient) -> None:
    html = user_client.get("/customers/new").text

    inputs = re.findall(r'<(?:input|select) id="(n-[a-z_]+)"', html)
    assert len(inputs) > 10
    for input_id in inputs:
        assert f'<label for="{input_id}">' in html, input_id


def test_bad_new_customer_is_422_naming_the_fields_and_saves_nothing(
    user_client: TestClient, seeded: World
) -> None:
    response = user_client.post(
        "/customers/new", data={"name": " ", "email": "not-an-email", "level": "Z"}
    )

    assert response.status_code == 422
    html = response.text
    for field in ("name", "email", "level"):
        assert f'aria-describedby="e-{field}"' in html and f'id="e-{field}"' in html, field
    assert "必填。" in html and 'value="not-an-email"' in html
    assert _total_customers(user_client) == "3"


def test_new_customer_is_routed_and_its_page_explains_the_rule(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        rules.create_rule(
            uow=uow,
            fields={
                "name": "East <b>A</b>",
                "conditions": {"all": [{"field": "region", "op": "eq", "value": "East"}]},
                "target": {"kind": "reps", "rep_ids": [seeded.moses_id]},
                "strategy": "round_robin",
            },
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()

    response = user_client.post("/customers/new", data={"name": "Zeta 深圳", "region": "East"})

    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/customers/\d+\?created=1", location)
    page = user_client.get(location).text
    words = text_of(page)
    assert "客户已创建并完成分配。" in words and "负责人 Moses Frase" in words
    assert "「East <b>A</b>」" in words and "<b>A</b>" not in page
    assert "区域 = East ✓" in words and "选中 Moses Frase：轮流分配" in words


def test_reps_and_auditors_cannot_open_the_new_customer_form(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="moses",
            password=ADMIN_PASSWORD,
            role=Role.rep,
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()
    log_in(client, username="moses")

    assert client.get("/customers/new").status_code == 403
    assert "action-bar" not in client.get("/customers").text
    form = {"customer_ids": [seeded.globex_id], "rep_id": seeded.moses_id, "confirmed": "1"}
    assert client.post("/customers/bulk", data=form).status_code == 403


# --- changing owners ------------------------------------------------------------------------


def test_spreading_customers_asks_first_then_assigns_evenly(
    user_client: TestClient, seeded: World
) -> None:
    form = {
        "customer_ids": [seeded.globex_id, seeded.script_id],
        "action": "spread",
        "rep_ids": [seeded.moses_id, seeded.darcel_id],
        "back": "/customers?stage=won",
    }
    asked = user_client.post("/customers/bulk", data=form)

    assert asked.status_code == 200
    assert "2 个客户 → Moses Frase, Darcel Schlecht，平均分配" in text_of(asked.text)
    assert 'name="confirmed" value="1"' in asked.text
    assert "负责人 公海" in text_of(user_client.get(f"/customers/{seeded.globex_id}").text)

    done = user_client.post("/customers/bulk", data={**form, "confirmed": "1"})

    assert done.status_code == 303
    assert done.headers["location"] == "/customers?stage=won&done=2"
    owners = {
        re.findall(r"负责人 (\w+ \w+) 团队", text_of(user_client.get(f"/customers/{cid}").text))[0]
        for cid in (seeded.globex_id, seeded.script_id)
    }
    assert owners == {"Moses Frase", "Darcel Schlecht"}


def test_htmx_confirmation_redirects_the_whole_page(user_client: TestClient, seeded: World) -> None:
    form = {
        "customer_ids": [seeded.globex_id],
        "action": "assign",
        "rep_id": seeded.moses_id,
        "confirmed": "1",
    }
    response = user_client.post("/customers/bulk", data=form, headers={"HX-Request": "true"})

    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/customers?done=1"


def test_taking_owned_customers_without_a_reason_is_422_and_changes_nothing(
    user_client: TestClient, seeded: World
) -> None:
    form = {
        "customer_ids": [seeded.acme_id, seeded.globex_id],
        "action": "assign",
        "rep_id": seeded.moses_id,
        "confirmed": "1",
    }
    response = user_client.post("/customers/bulk", data=form, headers={"HX-Request": "true"})

    assert response.status_code == 422
    assert '<dialog id="owner-dialog"' in response.text
    assert 'aria-invalid="true" aria-describedby="confirm-reason-error"' in response.text
    assert "从现负责人手中转移客户时必须填写原因。" in response.text
    assert "负责人 Darcel Schlecht" in text_of(user_client.get(f"/customers/{seeded.acme_id}").text)
    assert "负责人 公海" in text_of(user_client.get(f"/customers/{seeded.globex_id}").text)


def test_nothing_chosen_is_422_naming_what_is_missing(
    user_client: TestClient, seeded: World
) -> None:
    response = user_client.post("/customers/bulk", data={"action": "spread"})

    assert response.status_code == 422
    assert "请先选择至少一个客户。" in response.text
    assert "请选择要平均分配的销售。" in response.text
    assert 'name="confirmed"' not in response.text


def test_capacity_refusal_is_shown_in_the_confirmation_and_changes_nothing(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        moses = uow.reps.get(seeded.moses_id)
        assert moses is not None
        moses.max_open = 0
        uow.commit()
    form = {
        "customer_ids": [seeded.globex_id],
        "action": "assign",
        "rep_id": seeded.moses_id,
        "confirmed": "1",
    }
    response = user_client.post("/customers/bulk", data=form)

    assert response.status_code == 409
    assert "未做任何更改：Moses Frase 已满额（在跟进客户 0/0）。" in text_of(response.text)
    assert "负责人 公海" in text_of(user_client.get(f"/customers/{seeded.globex_id}").text)


def test_reassigning_from_the_customer_page_records_a_transfer(
    user_client: TestClient, seeded: World
) -> None:
    path = f"/customers/{seeded.acme_id}"
    form = {"rep_id": seeded.moses_id, "reason": "back from <i>leave</i>"}

    asked = user_client.post(f"{path}/reassign", data=form)
    done = user_client.post(f"{path}/reassign", data={**form, "confirmed": "1"})

    assert asked.status_code == 200
    asked_words = text_of(asked.text)
    assert "确认转移客户" in asked_words and "确认转移" in asked_words
    assert "把 Acme 上海 从 Darcel Schlecht 转给 Moses Frase" in asked_words
    assert "1 个客户" not in asked_words and "部分客户" not in asked_words
    assert done.status_code == 303 and done.headers["location"] == f"{path}?moved=1"
    page = user_client.get(done.headers["location"]).text
    assert "负责人已变更。" in page and "<i>leave</i>" not in page
    words = text_of(page)
    assert "转移 Darcel Schlecht → Moses Frase · 原因：back from <i>leave</i>" in words
    assert "admin 手动转移给 Moses Frase" in words


def test_giving_a_customer_from_the_pool_asks_in_its_own_words(
    user_client: TestClient, seeded: World
) -> None:
    asked = user_client.post(
        f"/customers/{seeded.globex_id}/reassign", data={"rep_id": seeded.moses_id}
    )

    assert asked.status_code == 200
    words = text_of(asked.text)
    assert "确认分配客户" in words and "把 Globex 分配给 Moses Frase" in words
    assert "1 个客户" not in words and "转移" not in words


# --- my customers ---------------------------------------------------------------------------


def test_my_customers_without_a_rep_record_says_so(user_client: TestClient) -> None:
    response = user_client.get("/my")

    assert response.status_code == 200
    assert "你没有销售身份" in response.text


def test_my_customers_marks_the_newly_assigned(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="darcel",
            password=ADMIN_PASSWORD,
            role=Role.rep,
            actor=SYSTEM,
            now=clock.at,
            rep_id=seeded.darcel_id,
        )
        uow.commit()
    clock.at += timedelta(days=1, hours=1)  # Acme came to Darcel an hour ago
    log_in(client, username="darcel")

    html = client.get("/my").text

    assert "Acme 上海" in html and 'class="is-new"' in html and "新分配" in html
    assert "Globex" not in html
    assert client.get(f"/customers/{seeded.globex_id}").status_code == 404
