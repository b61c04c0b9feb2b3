"""The field catalogue: every customer attribute a rule can test, typed, with its reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.engine.fields import FieldType, field_catalog, fold

CUSTOM = [
    CustomField(key="budget", label="Budget", kind=FieldKind.number),
    CustomField(key="first_met", label="First met", kind=FieldKind.date),
    CustomField(key="tier", label="Tier", kind=FieldKind.choice, choices=["gold", "silver"]),
    CustomField(key="wechat_group", label="WeChat group", kind=FieldKind.text),
]
TEXT = [
    "name",
    "company_name",
    "phone",
    "email",
    "wechat",
    "country",
    "province",
    "city",
    "region",
    "industry",
    "level",
    "customer_type",
    "source",
    "product_interest",
    "external_id",
    "email_domain",
]
NUMBER = ["employees", "revenue", "expected_value", "score", "win_probability"]
DATETIME = ["created_at", "updated_at", "assigned_at", "last_follow_up_at", "closed_at"]


def test_the_catalogue_types_every_customer_attribute() -> None:
    catalog = field_catalog([])
    expected = {name: FieldType.text for name in TEXT}
    expected |= {name: FieldType.number for name in NUMBER}
    expected |= {name: FieldType.datetime for name in DATETIME}
    expected |= {"stage": FieldType.choice, "grade": FieldType.choice}
    expected |= {"tags": FieldType.list_of_text}
    assert {name: spec.type for name, spec in catalog.items()} == expected
    assert all(spec.name == name for name, spec in catalog.items())


def test_custom_attributes_join_the_catalogue_typed_by_their_kind() -> None:
    catalog = field_catalog(CUSTOM)
    assert catalog["custom.budget"].type is FieldType.number
    assert catalog["custom.first_met"].type is FieldType.date
    assert catalog["custom.tier"].type is FieldType.choice
    assert catalog["custom.tier"].choices == ("gold", "silver")
    assert catalog["custom.wechat_group"].type is FieldType.text
    assert "budget" not in catalog


def test_stage_is_a_choice_of_the_stages_read_as_plain_text() -> None:
    spec = field_catalog([])["stage"]
    assert spec.choices == ("new", "contacted", "qualified", "won", "lost")
    value = spec.get(Customer(name="x", stage=Stage.won))
    assert value == "won" and type(value) is str


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("Li.Lei@Example.COM", "example.com"),
        ("a@b@corp.cn", "corp.cn"),
        (None, None),
        ("no-at-sign", None),
        ("trailing@", None),
    ],
)
def test_email_domain_is_the_lower_cased_part_after_the_at(
    email: str | None, domain: str | None
) -> None:
    assert field_catalog([])["email_domain"].get(Customer(name="x", email=email)) == domain


def test_money_is_read_as_a_float_so_rules_compare_it_as_a_number() -> None:
    catalog = field_catalog([])
    customer = Customer(name="x", revenue=Decimal("12.30"), expected_value=None)
    assert catalog["revenue"].get(customer) == 12.3
    assert catalog["expected_value"].get(customer) is None


def test_plain_attributes_are_read_as_stored() -> None:
    catalog = field_catalog([])
    customer = Customer(name="张三", region="华东", employees=120, score=88.5, tags=["VIP"])
    assert catalog["name"].get(customer) == "张三"
    assert catalog["region"].get(customer) == "华东"
    assert catalog["employees"].get(customer) == 120
    assert catalog["score"].get(customer) == 88.5
    assert catalog["tags"].get(customer) == ["VIP"]
    assert catalog["city"].get(customer) is None


def test_times_are_aware_and_a_naive_one_is_read_as_utc() -> None:
    catalog = field_catalog([])
    shanghai = timezone(timedelta(hours=8))
    aware = datetime(2024, 5, 1, 9, tzinfo=shanghai)
    customer = Customer(name="x", created_at=aware, updated_at=datetime(2024, 5, 1, 9))
    assert catalog["created_at"].get(customer) == aware
    assert catalog["updated_at"].get(customer) == datetime(2024, 5, 1, 9, tzinfo=UTC)
    assert catalog["closed_at"].get(customer) is None


def test_custom_values_are_read_in_the_shape_of_their_kind() -> None:
    catalog = field_catalog(CUSTOM)
    customer = Customer(
        name="x",
        custom={
            "budget": 5000,
            "first_met": "2024-02-29",
            "tier": "gold",
            "wechat_group": "华东群",
        },
    )
    assert catalog["custom.budget"].get(customer) == 5000
    assert catalog["custom.first_met"].get(customer) == "2024-02-29"
    assert catalog["custom.tier"].get(customer) == "gold"
    assert catalog["custom.wechat_group"].get(customer) == "华东群"


def test_a_date_object_in_a_custom_date_is_read_as_its_iso_text() -> None:
    spec = field_catalog(CUSTOM)["custom.first_met"]
    assert spec.get(Customer(name="x", custom={"first_met": date(2024, 3, 1)})) == "2024-03-01"
    moment = datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert spec.get(Customer(name="x", custom={"first_met": moment})) == "2024-03-01"


@pytest.mark.parametrize(
    ("key", "stored"),
    [("budget", "lots"), ("budget", True), ("first_met", 20240229), ("tier", 1), ("budget", None)],
)
def test_a_custom_value_of_the_wrong_shape_or_absent_reads_as_missing(
    key: str, stored: object
) -> None:
    spec = field_catalog(CUSTOM)[f"custom.{key}"]
    assert spec.get(Customer(name="x", custom={key: stored})) is None
    assert spec.get(Customer(name="x")) is None


def test_fold_strips_and_case_folds_text() -> None:
    assert fold("  East ") == "east"
    assert fold("STRASSE") == fold("straße")
    assert fold("华东") == "华东"


def test_field_types_name_themselves_readably() -> None:
    assert FieldType.list_of_text.label == "list of text"
    assert FieldType.number.label == "number"
