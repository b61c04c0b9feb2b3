"""Categories (分类管理): dimensions, their values, rename / merge / retire, counts."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from fenpei.domain.categories import CUSTOMER_FIELD_OF_CATEGORY, Category, CategoryValue
from fenpei.domain.errors import Conflict, FieldError, NotFound, UsedByRules, ValidationFailed
from fenpei.domain.phrases import Phrase, length
from fenpei.domain.rules import Rule
from fenpei.domain.users import Actor
from fenpei.services import _audit, _category_rules, rules
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin

# Values one dimension may hold, retired and merged ones included: every customer form and
# filter lists a dimension's values, so the list must stay one a person can scroll.
MAX_VALUES = 1_000

DEFAULT_CATEGORIES: dict[str, tuple[str, list[tuple[str, str]], bool]] = {
    "level": ("Customer level / 客户等级", [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")], True),
    "customer_type": (
        "Customer type / 客户类型",
        [("company", "Company / 企业"), ("person", "Person / 个人")],
        True,
    ),
    "source": (
        "Source / 来源",
        [
            ("web", "Website / 官网"),
            ("phone", "Phone / 电话"),
            ("referral", "Referral / 转介绍"),
            ("event", "Event / 展会"),
            ("import", "Import / 导入"),
        ],
        False,
    ),
    "industry": ("Industry / 行业", [], False),
    "region": ("Region / 区域", [], False),
    # Why a rep gives a customer back to the pool (退回原因); not a customer field.
    "return_reason": (
        "Return reason / 退回原因",
        [
            ("no_need", "No need / 暂无需求"),
            ("unreachable", "Unreachable / 联系不上"),
            ("not_decision_maker", "Not the decision maker / 非决策人"),
            ("duplicate", "Duplicate / 重复客户"),
            ("other", "Other / 其他"),
        ],
        True,
    ),
    # The kinds of follow-up (跟进方式) a rep logs; admins add more. Not a customer field.
    "follow_up_type": (
        "Follow-up type / 跟进方式",
        [
            ("phone", "Phone / 电话"),
            ("visit", "Visit / 拜访"),
            ("email", "Email / 邮件"),
            ("sms", "SMS / 短信"),
            ("wechat", "WeChat / 微信"),
            ("meeting", "Meeting / 会议"),
        ],
        True,
    ),
    # The kinds of task (任务类型) and how tasks are grouped (任务分类); not customer fields.
    "task_type": (
        "Task type / 任务类型",
        [
            ("call_back", "Call back / 回电"),
            ("visit", "Visit / 拜访"),
            ("quote", "Send a quote / 报价"),
            ("contract", "Contract / 合同"),
            ("service", "Service request / 服务请求"),
            ("other", "Other / 其他"),
        ],
        True,
    ),
    "task_category": (
        "Task category / 任务分类",
        [
            ("sales", "Sales / 销售"),
            ("service", "Customer service / 客服"),
            ("admin", "Administration / 行政"),
        ],
        True,
    ),
    # Common reasons a customer is lost (输单原因), offered on the stage form; the reason
    # itself is free text, so one of these or anything else the rep types.
    "lost_reason": (
        "Lost reason / 输单原因",
        [
            ("price", "Price / 价格"),
            ("competitor", "Chose a competitor / 选择了竞品"),
            ("no_budget", "No budget / 没有预算"),
            ("no_response", "No response / 无回应"),
            ("other", "Other / 其他"),
        ],
        True,
    ),
}


def ensure_default_categories(*, uow: UnitOfWork, actor: Actor, now: datetime) -> None:
    """Create the built-in dimensions (level A-D, type, source, industry, region) if missing."""
    require_admin(actor, "set up categories")
    for key, (name, values, strict) in DEFAULT_CATEGORIES.items():
        if uow.categories.get(key) is not None:
            continue
        category = Category(key=key, name=name, strict=strict, created_at=now)
        uow.categories.add(category)
        _audit.record(uow, actor=actor, action="create", obj=category, now=now)
        assert category.id is not None
        for position, (code, label) in enumerate(values):
            uow.categories.add_value(
                CategoryValue(category_id=category.id, code=code, label=label, position=position)
            )


def _category(uow: UnitOfWork, key: str) -> Category:
    category = uow.categories.get(key)
    if category is None:
        raise NotFound("category", key)
    return category


def _value(uow: UnitOfWork, category: Category, code: str) -> CategoryValue:
    assert category.id is not None
    for value in uow.categories.values(category.id):
        if value.code == code:
            return value
    raise NotFound(f"{category.key} value", code)


def _text(field: str, text: str) -> str:
    # PostgreSQL stores no NUL character: refused here rather than with a 500.
    stripped = text.strip()
    if not stripped or len(stripped) > 100 or "\x00" in stripped:
        raise ValidationFailed.one(field, length(1, 100))
    return stripped


def _label(text: str) -> str:
    return _text("label", text)


def add_value(
    *, uow: UnitOfWork, key: str, code: str, label: str | None, actor: Actor, now: datetime
) -> CategoryValue:
    """Append a value to a dimension (or return it if the code exists and is usable)."""
    require_admin(actor, "change categories")
    category = _category(uow, key)
    assert category.id is not None
    code = _text("code", code)
    label = _label((label or "").strip() or code)
    existing = uow.categories.values(category.id)
    for value in existing:
        if value.code == code:
            if value.merged_into_id is not None:
                raise ValidationFailed.one(
                    "code", f"{key} value {code!r} was merged into another value; use that one"
                )
            if value.retired:
                raise ValidationFailed.one(
                    "code", f"{key} value {code!r} exists but is retired; restore it"
                )
            return value
    if len(existing) >= MAX_VALUES:
        raise ValidationFailed.one(
            "code",
            f"{key} holds {len(existing)} values already, at most {MAX_VALUES}; "
            "merge or reuse one instead",
        )
    value = CategoryValue(category_id=category.id, code=code, label=label, position=len(existing))
    uow.categories.add_value(value)
    _audit.record(uow, actor=actor, action="create", obj=value, now=now)
    return value


def rename_value(
    *, uow: UnitOfWork, key: str, code: str, label: str, actor: Actor, now: datetime
) -> CategoryValue:
    """Change the label people see; customers keep the code, so no data moves."""
    require_admin(actor, "change categories")
    label = _label(label)
    value = _value(uow, _category(uow, key), code)
    before = _audit.snapshot(value)
    value.label = label
    _audit.record(uow, actor=actor, action="rename", obj=value, now=now, before=before)
    return value


@dataclass(frozen=True)
class CarriedRule:
    """A rule a merge rewrote: now at ``version``."""

    rule_id: int
    name: str
    version: int


@dataclass(frozen=True)
class Merged:
    """What a merge did: customers recoded, and the rules carried along as new versions."""

    moved: int
    rules: list[CarriedRule]


def _rules_testing(
    uow: UnitOfWork, key: str, code: str, into: str | None
) -> tuple[list[Rule], list[Rule]]:
    """The live rules testing ``key``'s ``code``: those a merge into ``into`` can carry,
    and those it cannot (or, retiring, every one)."""
    field = CUSTOMER_FIELD_OF_CATEGORY.get(key)
    carried: list[Rule] = []
    stuck: list[Rule] = []
    if field is None:
        return carried, stuck
    for rule in uow.rules.active():
        use = _category_rules.use_of(rule.conditions, field, code, into)
        if use is not None:
            (carried if use and into is not None else stuck).append(rule)
    return carried, stuck


def _refuse(key: str, code: str, action: str, stuck: list[Rule]) -> UsedByRules:
    return UsedByRules(
        f"{key} value {code!r}", action, [(rule.id or 0, rule.name) for rule in stuck]
    )


def merge_values(
    *, uow: UnitOfWork, key: str, code: str, into: str, actor: Actor, now: datetime
) -> Merged:
    """Move every customer from ``code`` to ``into`` and retire ``code``. Rules testing
    ``code`` are carried to ``into`` as new versions noting the merge, so routing changes
    only as the merge says; a text match that cannot be carried refuses it, naming rules."""
    require_admin(actor, "change categories")
    if code == into:
        raise ValidationFailed.one("into", "must differ from the value being merged")
    category = _category(uow, key)
    source_value = _value(uow, category, code)
    target_value = next(
        (v for v in uow.categories.values(category.id or 0) if v.code == into), None
    )
    if target_value is None:
        raise ValidationFailed.one(
            "into", Phrase("category.no_value", "{key} has no value {code!r}", key=key, code=into)
        )
    if not target_value.usable:
        raise ValidationFailed.one("into", f"{into!r} is retired or merged")
    if source_value.merged_into_id is not None:
        raise Conflict(f"{key} value {code!r} is already merged into another value")
    carried, stuck = _rules_testing(uow, key, code, into)
    if stuck:
        raise _refuse(key, code, "merge", stuck)
    before = _audit.snapshot(source_value)
    moved = 0
    if (customer_field := CUSTOMER_FIELD_OF_CATEGORY.get(key)) is not None:
        moved = uow.customers.recode(customer_field, code, into)
        note = {"kind": "category_merge", "category": key, "code": code, "into": into}
        for rule in carried:
            conditions = _category_rules.recode(rule.conditions, customer_field, code, into)
            rules.update_rule(
                uow=uow,
                rule_id=rule.id or 0,
                fields={"conditions": conditions},
                actor=actor,
                now=now,
                note=note,
            )
    source_value.merged_into_id = target_value.id
    source_value.retired = True
    _audit.record(uow, actor=actor, action="merge", obj=source_value, now=now, before=before)
    return Merged(
        moved=moved,
        rules=[CarriedRule(rule.id or 0, rule.name, rule.version) for rule in carried],
    )


def retire_value(
    *, uow: UnitOfWork, key: str, code: str, actor: Actor, now: datetime, retired: bool = True
) -> CategoryValue:
    """Hide a value from new input (or bring it back); customers holding it keep it.
    Refused while a rule tests the value: new customers could no longer match it."""
    require_admin(actor, "change categories")
    value = _value(uow, _category(uow, key), code)
    if retired and not value.retired and (stuck := _rules_testing(uow, key, code, None)[1]):
        raise _refuse(key, code, "retire", stuck)
    if not retired and value.merged_into_id is not None:
        raise Conflict(f"{key} value {code!r} was merged into another; it cannot come back")
    before = _audit.snapshot(value)
    value.retired = retired
    _audit.record(
        uow,
        actor=actor,
        action="retire" if retired else "restore",
        obj=value,
        now=now,
        before=before,
    )
    return value


def value_counts(*, uow: UnitOfWork, key: str) -> list[tuple[CategoryValue, int]]:
    """Every value of a dimension with how many customers hold it."""
    category = _category(uow, key)
    assert category.id is not None
    field = CUSTOMER_FIELD_OF_CATEGORY.get(key)
    counts = uow.customers.count_by(field) if field else {}
    return [(v, counts.get(v.code, 0)) for v in uow.categories.values(category.id)]


@dataclass(frozen=True)
class CategoryCounts:
    """A dimension with each of its values and how many live customers hold it."""

    category: Category
    values: list[tuple[CategoryValue, int]]


def category_overview(*, uow: UnitOfWork) -> list[CategoryCounts]:
    """Every dimension with its values and customer counts; anyone logged in may read it."""
    values: dict[int, list[CategoryValue]] = {}
    for value in uow.categories.all_values():
        values.setdefault(value.category_id, []).append(value)
    overview = []
    for category in uow.categories.all():
        field = CUSTOMER_FIELD_OF_CATEGORY.get(category.key)
        counts = uow.customers.count_by(field) if field else {}
        found = values.get(category.id or 0, [])
        overview.append(CategoryCounts(category, [(v, counts.get(v.code, 0)) for v in found]))
    return overview


@dataclass(frozen=True)
class CategoryIndex:
    """The values of each dimension, loaded once: ``usable`` for new input and validating
    many customers, ``filterable`` (retired ones too, after the usable) for filters, and
    every value's label for showing a stored code."""

    strict: dict[str, bool]
    usable: dict[str, list[CategoryValue]]
    filterable: dict[str, list[CategoryValue]] = dataclass_field(default_factory=dict)
    by_code: dict[str, dict[str, CategoryValue]] = dataclass_field(default_factory=dict)

    def value(self, key: str, code: str) -> CategoryValue | None:
        """The value ``key`` stores as ``code`` (retired and merged ones too), or None."""
        return self.by_code.get(key, {}).get(code)

    def resolve(self, fields: dict[str, object], *, prefix: str = "") -> list[FieldError]:
        """Replace labels by codes in ``fields``; list values a strict dimension lacks."""
        errors: list[FieldError] = []
        for key, field in CUSTOMER_FIELD_OF_CATEGORY.items():
            raw = fields.get(field)
            if not isinstance(raw, str) or key not in self.usable:
                continue
            wanted = raw.casefold()
            match = next(
                (v for v in self.usable[key] if wanted in (v.code.casefold(), v.label.casefold())),
                None,
            )
            if match is not None:
                fields[field] = match.code
            elif self.strict[key]:
                allowed = ", ".join(v.code for v in self.usable[key]) or "none defined"
                errors.append(
                    FieldError(
                        prefix + field,
                        Phrase(
                            "category.not_one_of",
                            "{value!r} is not a {key} (one of {allowed})",
                            value=raw,
                            key=key,
                            allowed=allowed,
                        ),
                    )
                )
        return errors


def load_category_index(uow: UnitOfWork) -> CategoryIndex:
    """Every dimension with its values, in two queries."""
    categories = {c.id: c for c in uow.categories.all() if c.id is not None}
    usable: dict[str, list[CategoryValue]] = {c.key: [] for c in categories.values()}
    retired: dict[str, list[CategoryValue]] = {c.key: [] for c in categories.values()}
    by_code: dict[str, dict[str, CategoryValue]] = {c.key: {} for c in categories.values()}
    for value in uow.categories.all_values():
        if value.category_id not in categories:
            continue
        key = categories[value.category_id].key
        by_code[key][value.code] = value
        if value.usable:
            usable[key].append(value)
        elif value.merged_into_id is None:  # a merged value has no customers left
            retired[key].append(value)
    return CategoryIndex(
        strict={c.key: c.strict for c in categories.values()},
        usable=usable,
        filterable={key: usable[key] + retired[key] for key in usable},
        by_code=by_code,
    )
