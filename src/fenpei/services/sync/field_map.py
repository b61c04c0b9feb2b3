"""Field maps: a CRM's field names -> fenpei's customer fields (``custom.<key>`` for a
custom attribute). Applied by the adapters to what they pull."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Zoho CRM's Leads (and Contacts) standard fields; Full_Name is the read-only whole name.
ZOHO_DEFAULT: dict[str, str] = {
    "Full_Name": "name",
    "Company": "company_name",
    "Email": "email",
    "Phone": "phone",
    "City": "city",
    "State": "province",
    "Country": "country",
    "Industry": "industry",
    "No_of_Employees": "employees",
    "Annual_Revenue": "revenue",
    "Lead_Source": "source",
}
CUSTOM_PREFIX = "custom."


def apply_map(record: Mapping[str, Any], field_map: Mapping[str, str]) -> dict[str, Any]:
    """The record's mapped fields as fenpei names; CRM fields not in the map are left out,
    mapped fields missing from the record too (so an update changes only what came)."""
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for crm_name, ours in field_map.items():
        if crm_name not in record:
            continue
        value = record[crm_name]
        if isinstance(value, dict):  # a lookup or user field: {"name": ..., "id": ...}
            value = value.get("name")
        if ours.startswith(CUSTOM_PREFIX):
            custom[ours.removeprefix(CUSTOM_PREFIX)] = value
        else:
            fields[ours] = value
    if custom:
        fields["custom"] = custom
    return fields
