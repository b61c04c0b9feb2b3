"""The words on the pages, in zh-CN and en: a small table until Babel catalogs arrive.

Keys are stable ids; ``{name}`` placeholders are filled with ``str.format``. The e2e tests
check that every key a template uses is here in both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fenpei.config import Language

Translate = Callable[..., str]

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES: Mapping[Language, str] = {Language.zh_cn: "中文", Language.en: "English"}

_ZH, _EN = Language.zh_cn, Language.en

MESSAGES: Mapping[str, Mapping[Language, str]] = {
    "app.name": {_ZH: "fenpei 客户分配", _EN: "fenpei customer assignment"},
    "nav.customers": {_ZH: "客户", _EN: "Customers"},
    "nav.logout": {_ZH: "退出", _EN: "Log out"},
    "nav.language": {_ZH: "语言", _EN: "Language"},
    "nav.signed_in_as": {_ZH: "当前用户：{name}", _EN: "Signed in as {name}"},
    "login.title": {_ZH: "登录", _EN: "Log in"},
    "login.username": {_ZH: "用户名", _EN: "Username"},
    "login.password": {_ZH: "密码", _EN: "Password"},
    "login.submit": {_ZH: "登录", _EN: "Log in"},
    "login.failed": {_ZH: "用户名或密码错误。", _EN: "Wrong username or password."},
    "login.locked": {
        _ZH: "登录失败次数过多，已暂时锁定。请在 {minutes} 分钟后再试。",
        _EN: "Too many failed logins: locked for now. Try again in {minutes} minutes.",
    },
    "customers.title": {_ZH: "客户", _EN: "Customers"},
    "customers.search": {_ZH: "搜索", _EN: "Search"},
    "customers.search_placeholder": {
        _ZH: "客户名称、公司、电话或邮箱",
        _EN: "Name, company, phone or email",
    },
    "customers.all_stages": {_ZH: "全部阶段", _EN: "All stages"},
    "customers.empty": {_ZH: "没有找到客户。", _EN: "No customers found."},
    "customers.total": {_ZH: "共 {total} 个客户", _EN: "{total} customers"},
    "customers.page": {_ZH: "第 {page} / {pages} 页", _EN: "Page {page} of {pages}"},
    "customers.previous": {_ZH: "上一页", _EN: "Previous"},
    "customers.next": {_ZH: "下一页", _EN: "Next"},
    "field.name": {_ZH: "客户名称", _EN: "Name"},
    "field.company": {_ZH: "公司", _EN: "Company"},
    "field.region": {_ZH: "区域", _EN: "Region"},
    "field.industry": {_ZH: "行业", _EN: "Industry"},
    "field.level": {_ZH: "等级", _EN: "Level"},
    "field.stage": {_ZH: "阶段", _EN: "Stage"},
    "field.owner": {_ZH: "负责人", _EN: "Owner"},
    "field.team": {_ZH: "团队", _EN: "Team"},
    "field.assigned_at": {_ZH: "分配时间", _EN: "Assigned at"},
    "field.source": {_ZH: "来源", _EN: "Source"},
    "field.phone": {_ZH: "电话", _EN: "Phone"},
    "field.email": {_ZH: "邮箱", _EN: "Email"},
    "field.wechat": {_ZH: "微信", _EN: "WeChat"},
    "field.external_id": {_ZH: "外部编号", _EN: "External id"},
    "field.tags": {_ZH: "标签", _EN: "Tags"},
    "field.created_at": {_ZH: "创建时间", _EN: "Created at"},
    "owner.pool": {_ZH: "公海", _EN: "Pool"},
    "customer.back": {_ZH: "返回客户列表", _EN: "Back to customers"},
    "customer.attributes": {_ZH: "客户信息", _EN: "Details"},
    "history.title": {_ZH: "分配记录", _EN: "Assignment history"},
    "history.empty": {_ZH: "暂无分配记录。", _EN: "No assignments yet."},
    "history.reason": {_ZH: "原因：{reason}", _EN: "reason: {reason}"},
    "history.by": {_ZH: "操作人：{actor}", _EN: "by {actor}"},
    "stage.new": {_ZH: "新线索", _EN: "New"},
    "stage.contacted": {_ZH: "已联系", _EN: "Contacted"},
    "stage.qualified": {_ZH: "有意向", _EN: "Qualified"},
    "stage.won": {_ZH: "已成交", _EN: "Won"},
    "stage.lost": {_ZH: "已流失", _EN: "Lost"},
    "method.rule": {_ZH: "规则分配", _EN: "rule"},
    "method.manual": {_ZH: "手动分配", _EN: "manual"},
    "method.bulk": {_ZH: "批量分配", _EN: "bulk"},
    "method.claim": {_ZH: "领取", _EN: "claim"},
    "method.return": {_ZH: "退回", _EN: "return"},
    "method.reclaim": {_ZH: "回收", _EN: "reclaim"},
    "method.transfer": {_ZH: "转移", _EN: "transfer"},
    "method.import": {_ZH: "导入", _EN: "import"},
    "error.title": {_ZH: "出错了", _EN: "Something went wrong"},
    "error.not_found": {_ZH: "找不到该页面或对象。", _EN: "That page or record does not exist."},
    "error.bad_request": {_ZH: "请求有误：{details}", _EN: "The request is not valid: {details}"},
    "error.forbidden": {_ZH: "你没有权限执行此操作。", _EN: "You may not do this."},
    "error.csrf": {
        _ZH: "此表单已过期，或来自其他网站。请返回，刷新页面后重新提交。",
        _EN: "This form has expired or came from another site. Go back, reload the page "
        "and send it again.",
    },
    "error.conflict": {_ZH: "当前状态不允许此操作。", _EN: "The current state forbids this."},
    "error.unavailable": {
        _ZH: "数据库暂时不可用，请稍后再试。",
        _EN: "The database is unavailable; try again shortly.",
    },
    "error.home": {_ZH: "返回首页", _EN: "Back to the start page"},
}


def parse_language(value: str | None) -> Language | None:
    """The language ``value`` names (``en``, ``zh-CN``, case-insensitive), or None."""
    if not value:
        return None
    for language in Language:
        if value.strip().casefold() == language.value.casefold():
            return language
    return None


def translator(language: Language) -> Translate:
    """``t(key, **values)`` for ``language``; an unknown key shows as itself, never fails."""

    def translate(key: str, /, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = entry[language] if entry is not None else key
        return text.format(**values) if values else text

    return translate
