"""Hostile values for every field the API's OpenAPI declares, and the requests carrying them.

Everything here is read from the document ``create_app(...).openapi()`` returns: the
operations, their parameters, their bodies' schemas and examples. A field, parameter or
operation added later is covered without editing this module.

- ``operations(document)``: what to attack — every operation with a JSON body, and every
  operation with query or path parameters.
- ``Operation.targets``: one place per field (``body.tags[0]``, ``body.custom`` as a new
  key, ``query.created_from``, ``path.code``), found by walking the base body alongside
  its schema, plus the declared fields the base leaves out.
- ``HOSTILE``: the values to put there — text the database refuses, oversize strings and
  lists, deep nesting, extreme numbers and dates, wrong types — each named by its kind so
  a failure reads "body.tags[0] <- lone_high_surrogate".
- ``render``: the request as bytes, built by hand (``json.dumps(ensure_ascii=True)`` for
  lone surrogates, raw text for 10,000 levels of nesting, percent-encoded bytes in URLs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

Json = Any
WRITE_METHODS = ("post", "put", "patch", "delete")
_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<absent>"})()
_SENTINEL = "__fenpei_hostile_raw_value__"
BIG = 100_000  # characters in an oversize string, items in an oversize list
# Characters of a path or query value at most: percent-encoded (up to 3 bytes a character)
# it stays under the 64 KiB httpx (and most servers) take in a URL.
URL_BIG = 20_000
DEEP = 10_000  # levels of nesting in a deep value


@dataclass(frozen=True)
class Raw:
    """JSON text placed in the body as it is: what ``json.dumps`` cannot or would not write
    (10,000 levels of nesting, 1e999, a 5,000-digit integer)."""

    text: str


# --- the OpenAPI document -------------------------------------------------------------------


class Spec:
    """An OpenAPI document with its ``$ref``s followed on demand."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Mapping[str, Any] | None) -> dict[str, Any]:
        seen = 0
        current = dict(schema or {})
        while "$ref" in current and seen < 50:
            node: Any = self.document
            for part in current["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            current = {**node, **{k: v for k, v in current.items() if k != "$ref"}}
            seen += 1
        return current

    def branches(self, schema: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The non-null alternatives of a schema (``anyOf`` / ``oneOf``), resolved."""
        resolved = self.resolve(schema)
        options = resolved.get("anyOf") or resolved.get("oneOf")
        if not options:
            return [] if resolved.get("type") == "null" else [resolved]
        found = []
        for option in options:
            found += self.branches(option)
        return found

    def branch_for(self, schema: Mapping[str, Any] | None, value: Json) -> dict[str, Any]:
        """The alternative ``value`` belongs to (by JSON type), else the first one."""
        options = self.branches(schema)
        for option in options:
            if _json_type(value) in _types_of(option):
                return option
        return options[0] if options else {}

    def properties(self, schema: Mapping[str, Any] | None) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for option in self.branches(schema):
            props |= option.get("properties", {})
        return props

    def is_open_object(self, schema: Mapping[str, Any] | None) -> bool:
        """Whether an object takes keys it does not declare (``custom``, ``conditions``)."""
        return any(
            "object" in _types_of(o) and o.get("additionalProperties", True) is not False
            for o in self.branches(schema)
        )

    def expects(self, schema: Mapping[str, Any] | None) -> frozenset[str]:
        """The JSON types and formats a schema takes (``string``, ``date-time`` …)."""
        found: set[str] = set()
        for option in self.branches(schema):
            found |= _types_of(option)
            if "format" in option:
                found.add(option["format"])
        return frozenset(found)

    def examples(self, schema: Mapping[str, Any] | None) -> list[Json]:
        resolved = self.resolve(schema)
        found = list(resolved.get("examples") or [])
        if "example" in resolved:
            found.append(resolved["example"])
        return found


def _types_of(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema or "additionalProperties" in schema:
            return {"object"}
        if "items" in schema:
            return {"array"}
        if "enum" in schema:
            return {_json_type(v) for v in schema["enum"]}
        return {"object", "array", "string", "integer", "number", "boolean"}
    kinds = {kind} if isinstance(kind, str) else set(kind)
    return kinds | ({"number"} if "integer" in kinds else set())


def _json_type(value: Json) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def synthesise(spec: Spec, schema: Mapping[str, Any] | None) -> Json:
    """A minimal value ``schema`` accepts: its example or default when it declares one."""
    resolved = spec.resolve(schema)
    if examples := spec.examples(resolved):
        return examples[0]
    if "default" in resolved:
        return resolved["default"]
    options = spec.branches(resolved)
    if not options:
        return None
    option = options[0]
    if option.get("enum"):
        return option["enum"][0]
    kinds = _types_of(option)
    if "object" in kinds:
        props = option.get("properties", {})
        return {k: synthesise(spec, props[k]) for k in option.get("required", []) if k in props}
    if "array" in kinds:
        return [synthesise(spec, option.get("items")) for _ in range(option.get("minItems", 1))]
    if "string" in kinds:
        return {
            "date-time": "2026-12-01T09:00:00+08:00",
            "date": "2026-12-01",
            "email": "wang.fang@example.com",
            "time": "09:00:00",
        }.get(option.get("format", ""), "x" * max(1, option.get("minLength", 1)))
    if "integer" in kinds or "number" in kinds:
        return max(1, int(option.get("minimum", 1)))
    if "boolean" in kinds:
        return False
    return None


# --- operations and the places to attack -----------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One place in a request: ``where`` is body / query / path; ``path`` the keys and
    indices inside it; ``new_key`` puts a hostile *key* into the object at ``path``."""

    where: str
    path: tuple[str | int, ...]
    base: Json = field(compare=False)  # the valid value there (``_MISSING`` when absent)
    new_key: bool = False
    # What the schema expects there: JSON types and formats ("string", "date-time", …).
    expects: frozenset[str] = field(default=frozenset(), compare=False)

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        text = self.where
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return f"{text}{{new key}}" if self.new_key else text


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    schema: Mapping[str, Any]
    required: bool


@dataclass
class Operation:
    method: str
    path: str
    params: list[Param]
    body_schema: dict[str, Any] | None
    body: Json = None  # the valid base body (the schema's example, or synthesised)
    # The body's declared fields and their schemas, whether the base body has them or not.
    body_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def targets(self, spec: Spec, body: Json) -> list[Target]:
        """Every place in this operation's request to put a hostile value."""
        found = [
            Target(p.where, (p.name,), _MISSING, expects=spec.expects(p.schema))
            for p in self.params
            if p.where in ("query", "path")
        ]
        if self.body_schema is not None:
            found += _walk(spec, self.body_schema, body, ())
            if isinstance(body, dict):
                found += [
                    Target("body", (name,), _MISSING, expects=spec.expects(schema))
                    for name, schema in self.body_fields.items()
                    if name not in body
                ]
        return found


def _walk(spec: Spec, schema: Mapping[str, Any] | None, value: Json, path: tuple[Any, ...]):
    """The places inside ``value`` (walked alongside its schema): each value, each list
    item, and a new key in every object that takes keys it does not declare."""
    found = [Target("body", path, value, expects=spec.expects(schema))] if path else []
    branch = spec.branch_for(schema, value)
    if isinstance(value, dict):
        props = branch.get("properties", {})
        extra = branch.get("additionalProperties", True)
        for key, item in value.items():
            child = props.get(key) or (extra if isinstance(extra, dict) else {})
            found += _walk(spec, child, item, (*path, key))
        if spec.is_open_object(schema) or not props:
            found.append(Target("body", path, value, new_key=True, expects=frozenset({"object"})))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _walk(spec, branch.get("items"), item, (*path, index))
    return found


def operations(document: Mapping[str, Any]) -> list[Operation]:
    """The operations to attack: each with a JSON body, or with path or query parameters."""
    spec = Spec(document)
    found = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method not in (*WRITE_METHODS, "get"):
                continue
            params = [
                Param(p["name"], p["in"], p.get("schema", {}), p.get("required", False))
                for p in (spec.resolve(p) for p in op.get("parameters", []))
                if p["in"] in ("path", "query")
            ]
            content = (op.get("requestBody") or {}).get("content", {})
            body_schema = (content.get("application/json") or {}).get("schema")
            if body_schema is None and not params:
                continue
            operation = Operation(method, path, params, body_schema)
            if body_schema is not None:
                operation.body = synthesise(spec, body_schema)
                operation.body_fields = _declared_fields(spec, body_schema)
            found.append(operation)
    return found


def _declared_fields(spec: Spec, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a body declares. A free-form body (a customer's fields: the service, not
    the schema, names the bad ones) declares them through its examples; the fields are then
    those of the schema in the document that holds every key its examples use (for a
    customer body, ``CustomerRead``), so a customer field added later is covered too."""
    fields = dict(spec.properties(schema))
    if not spec.is_open_object(schema):
        return fields
    used = {k for e in spec.examples(schema) if isinstance(e, dict) for k in e} - set(fields)
    for other in spec.document.get("components", {}).get("schemas", {}).values():
        declared = other.get("properties", {})
        if used and used <= set(declared):
            fields = {**declared, **fields}
    return fields | {name: {} for name in sorted(used - set(fields))}


# --- the hostile values ------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A kind of hostile value, made from the valid value it replaces (``_MISSING`` if none).

    ``fits``: the JSON types and formats it is aimed at (a date for a date-time field);
    every kind is also tried elsewhere, as a wrong type. ``in_url``: meaningful as a path
    or query parameter too (a small number or ``true`` there is a valid id or flag)."""

    kind: str
    make: Callable[[Json], Json | Raw] = field(compare=False)
    fits: frozenset[str] = frozenset()
    in_url: bool = True

    def __repr__(self) -> str:
        return self.kind


def _text(base: Json) -> str:
    return base if isinstance(base, str) and base else "x"


def _item(base: Json) -> Json:
    return base[0] if isinstance(base, list) and base else 1


def _deep(opening: str, middle: str, closing: str, depth: int = DEEP) -> Raw:
    return Raw(opening * depth + middle + closing * depth)


_STRING = frozenset({"string"})
_NUMBER = frozenset({"integer", "number"})
_DATE = frozenset({"date-time", "date"})
_LIST = frozenset({"array"})
_NESTED = frozenset({"array", "object"})

HOSTILE: tuple[Hostile, ...] = (
    # Text the database refuses or cannot encode.
    Hostile("nul_appended", lambda b: _text(b) + "\x00", _STRING),
    Hostile("nul_alone", lambda b: "\x00", _STRING),
    Hostile("lone_high_surrogate", lambda b: _text(b) + "\ud800", _STRING),
    Hostile("lone_low_surrogate", lambda b: "\udfff" + _text(b), _STRING),
    Hostile("reversed_surrogate_pair", lambda b: "\udc00\ud800", _STRING),
    Hostile("oversize_string", lambda b: "x" * BIG, _STRING),
    # Lists: oversize (of valid items), and holding bad text.
    Hostile("oversize_list", lambda b: [_item(b)] * BIG, _LIST, in_url=False),
    Hostile("list_with_bad_text", lambda b: ["ok", "a\x00", "\ud800"], _LIST),
    # Nesting, as JSON text (json.dumps would recurse).
    Hostile("deep_arrays", lambda b: _deep("[", "", "]"), _NESTED),
    Hostile("deep_objects", lambda b: _deep('{"a":', "1", "}"), _NESTED),
    Hostile("deep_condition_tree", lambda b: _deep('{"all":[', "{}", "]}", 900), _NESTED),
    # Numbers beyond every column.
    Hostile("float_max", lambda b: 1e308, _NUMBER),
    Hostile("float_min", lambda b: -1e308, _NUMBER),
    Hostile("float_overflow_literal", lambda b: Raw("1e999"), _NUMBER),
    Hostile("int_10e30", lambda b: 10**30, _NUMBER),
    Hostile("int_2_63", lambda b: 2**63, _NUMBER),
    Hostile("int_2_31", lambda b: 2**31, _NUMBER),
    Hostile("int_minus_2_63_minus_1", lambda b: -(2**63) - 1, _NUMBER),
    Hostile("int_5000_digits", lambda b: Raw("9" * 5000), _NUMBER),
    Hostile("minus_one", lambda b: -1, _NUMBER),
    # Dates at and beyond the ends of the calendar.
    Hostile("date_0001", lambda b: "0001-01-01", _DATE),
    Hostile("date_9999", lambda b: "9999-12-31", _DATE),
    Hostile("datetime_9999_plus_14", lambda b: "9999-12-31T23:59:59+14:00", _DATE),
    Hostile("datetime_0001_minus_14", lambda b: "0001-01-01T00:00:00-14:00", _DATE),
    Hostile("datetime_9999_minus_14", lambda b: "9999-12-31T23:59:59-14:00", _DATE),
    Hostile("date_negative_year", lambda b: "-0001-01-01", _DATE),
    Hostile("date_year_10000", lambda b: "+10000-01-01", _DATE),
    Hostile("date_february_30", lambda b: "2026-02-30", _DATE),
    # Wrong types.
    Hostile("object_with_bad_text", lambda b: {"a": "\x00"}),
    Hostile("empty_object", lambda b: {}, in_url=False),
    Hostile("empty_array", lambda b: [], in_url=False),
    Hostile("boolean", lambda b: True, in_url=False),
    Hostile("number", lambda b: 1, in_url=False),
    Hostile("null", lambda b: None, in_url=False),
)

# A hostile *key* in an object that takes any keys; its value is a valid one from the same
# object where there is one, so that the key is the only thing wrong.
HOSTILE_KEYS: tuple[Hostile, ...] = (
    Hostile("nul_key", lambda v: {"a\x00": v}),
    Hostile("lone_surrogate_key", lambda v: {"\ud800": v}),
    Hostile("oversize_key", lambda v: {"k" * BIG: v}),
    Hostile("many_keys", lambda v: {f"k{i}": v for i in range(BIG // 2)}),
)
BAD_TEXT = frozenset(
    {
        "nul_appended",
        "nul_alone",
        "lone_high_surrogate",
        "lone_low_surrogate",
        "reversed_surrogate_pair",
        "list_with_bad_text",
        "object_with_bad_text",
        "nul_key",
        "lone_surrogate_key",
    }
)


def kinds_for(target: Target) -> tuple[tuple[Hostile, ...], tuple[Hostile, ...]]:
    """The kinds aimed at what ``target`` expects, and every kind that may go there."""
    if target.new_key:
        return HOSTILE_KEYS, HOSTILE_KEYS
    every = HOSTILE if target.where == "body" else tuple(h for h in HOSTILE if h.in_url)
    aimed = tuple(h for h in every if h.fits & target.expects)
    return aimed or every, every


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    content: bytes | None
    kind: str
    where: str

    def describe(self, status: int, text: str) -> str:
        return (
            f"{self.method} {self.url[:200]} with {self.where} <- {self.kind}: "
            f"{status} {text[:300]!r}"
        )


def _set(container: Json, path: tuple[Any, ...], value: Json) -> Json:
    """A copy of ``container`` with ``value`` at ``path`` (keys added where absent)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(container, list):
        copy_list = list(container)
        copy_list[head] = _set(copy_list[head], rest, value)
        return copy_list
    copy = dict(container or {})
    copy[head] = _set(copy.get(head), rest, value)
    return copy


def _get(container: Json, path: tuple[Any, ...]) -> Json:
    for part in path:
        container = container[part]
    return container


def _url_text(value: Json | Raw) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=True)


def _url_sized(value: Json | Raw) -> str | list[str]:
    """A parameter's text (a list: the parameter repeated), cut to ``URL_BIG``."""
    if isinstance(value, list):
        return [_url_text(item)[:URL_BIG] for item in value]
    return _url_text(value)[:URL_BIG]


def _encode(text: str) -> str:
    """Percent-encoded UTF-8, lone surrogates as the bytes a careless encoder sends."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def render(
    operation: Operation,
    *,
    path_values: Mapping[str, Json],
    query: Mapping[str, Json],
    body: Json,
    target: Target,
    hostile: Hostile,
) -> Request:
    """The request with ``hostile`` at ``target`` and the valid base everywhere else."""
    path_values, query = dict(path_values), dict(query)
    value: Json | Raw = _MISSING
    if target.new_key:
        holder = _get(body, target.path)
        sample = next(iter(holder.values()), "x") if isinstance(holder, dict) and holder else "x"
        extra = hostile.make(sample)
        body = _set(body, target.path, {**(holder or {}), **extra})
    else:
        value = hostile.make(target.base)
        if target.where == "body":
            body = _set(body, target.path, _SENTINEL if isinstance(value, Raw) else value)
        elif target.where == "path":
            path_values[target.path[0]] = _url_sized(value)
        else:
            query[target.path[0]] = _url_sized(value)
    url = re.sub(
        r"\{(\w+)\}", lambda m: _encode(_url_text(path_values[m.group(1)])), operation.path
    )
    pairs = []
    for name, given in query.items():
        for item in given if isinstance(given, list) else [given]:
            pairs.append(f"{_encode(name)}={_encode(_url_text(item))}")
    if pairs:
        url += "?" + "&".join(pairs)
    content = None
    if operation.body_schema is not None:
        text = json.dumps(body, ensure_ascii=True)
        if isinstance(value, Raw) and target.where == "body":
            text = text.replace(json.dumps(_SENTINEL), value.text, 1)
        content = text.encode("ascii")
    return Request(operation.method.upper(), url, content, hostile.kind, repr(target))


def substitute(value: Json, value_for: Callable[[str], Json | None]) -> Json:
    """``value`` with each field ``value_for`` knows a value for (``team_id`` -> an id of the
    test's world, ``current_password`` -> the password) given that value."""
    if isinstance(value, list):
        return [substitute(v, value_for) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        replacement = value_for(key)
        out[key] = replacement if replacement is not None else substitute(item, value_for)
    return out


# --- hypothesis strategies, for schemathesis -----------------------------------------------------


_BAD_CHARACTERS = ("\x00", "\ud800", "\udbff", "\udc00", "\udfff")


def hostile_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text the database refuses (NUL; lone surrogates unless ``surrogates`` is False, for
    URLs, which clients cannot encode them into) somewhere in generated text, or oversize."""
    bad = _BAD_CHARACTERS if surrogates else _BAD_CHARACTERS[:1]
    return st.one_of(
        st.tuples(st.text(max_size=20), st.sampled_from(bad), st.text(max_size=20)).map("".join),
        st.sampled_from(bad),
        st.just("x" * BIG),
    )


def _places(value: Json, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], bool]]:
    """Where a string can go: every string (``False``) and every object, as a new key
    (``True``)."""
    if isinstance(value, str):
        return [(path, False)]
    found: list[tuple[tuple[Any, ...], bool]] = []
    if isinstance(value, dict):
        found.append((path, True))
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


def with_hostile_string(value: Json, *, surrogates: bool = True) -> st.SearchStrategy[Json]:
    """``value`` with one string, or one new key of one object, made hostile."""
    places = _places(value)
    if not places:
        return st.just(value)

    def put(choice: tuple[tuple[tuple[Any, ...], bool], str]) -> Json:
        (path, as_key), text = choice
        if as_key:
            holder = _get(value, path)
            return _set(value, path, {**holder, text: next(iter(holder.values()), "x")})
        return _set(value, path, text)

    return st.tuples(st.sampled_from(places), hostile_text(surrogates=surrogates)).map(put)


def with_hostile_parameter(values: Mapping[str, Json] | None) -> st.SearchStrategy[Json]:
    """Query or path parameters with one of them (any type) replaced by hostile text."""
    if not values:
        return st.just(values)
    names = sorted(values)
    return st.tuples(st.sampled_from(names), hostile_text(surrogates=False)).map(
        lambda choice: {**values, choice[0]: choice[1]}
    )
