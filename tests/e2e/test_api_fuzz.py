"""Schemathesis over the app's own OpenAPI: whatever the generated input, never a 5xx.

Bounded: a few examples per operation, on SQLite (the handlers are the same on
PostgreSQL, whose behaviour the integration tests cover). Requests carry an admin's API
token, so every operation is reached past authentication and CSRF. A second run puts the
hostile strings of ``_hostile`` (NUL, lone surrogates, 100,000 characters) into one string
or key of each generated body, and into one query or path parameter.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from fenpei.adapters.db.migrate import upgrade
from fenpei.api.app import create_app
from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import tokens, users
from fenpei.services.categories import ensure_default_categories
from fenpei.services.rules import ensure_default_rule
from tests.e2e import _hostile
from tests.fakes import FixedClock

EXAMPLES_PER_OPERATION = 12
# The schema is read from the app when the module is imported (pytest 9 cannot take it from
# a fixture); the database behind it is made and seeded by ``admin_token``, once.
_DATABASE = Path(tempfile.mkdtemp(prefix="fenpei-fuzz-")) / "fuzz.db"
_FENPEI = bootstrap(Settings(database_url=f"sqlite:///{_DATABASE}"), clock=FixedClock())
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_FENPEI))
# The same operations, generated only by the fuzzing phase: the one whose values pass through
# the hooks below (the examples and coverage phases are the run above's).
hostile_schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(_FENPEI),
    config=SchemathesisConfig.from_dict(
        {"phases": {"examples": {"enabled": False}, "coverage": {"enabled": False}}}
    ),
)


@pytest.fixture(scope="module")
def admin_token() -> Iterator[str]:
    """Migrate and seed the fuzzed database: an admin and an all-scope token of theirs."""
    now = _FENPEI.now()
    upgrade(_FENPEI.engine)
    with _FENPEI.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=now)
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        users.create_user(
            uow=uow,
            hasher=_FENPEI.hasher,
            username="fuzz-admin",
            password="long enough password",
            role=Role.admin,
            actor=SYSTEM,
            now=now,
        )
        _, plaintext = tokens.create_token(
            uow=uow, username="fuzz-admin", name="fuzz", scopes=["*"], actor=SYSTEM, now=now
        )
        uow.commit()
    yield plaintext
    _FENPEI.close()
    shutil.rmtree(_DATABASE.parent, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case, admin_token: str
) -> None:
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])


def flatmap_body(context: Any, body: Any) -> Any:
    return _hostile.with_hostile_string(body)


def flatmap_query(context: Any, query: Any) -> Any:
    return _hostile.with_hostile_parameter(query)


def flatmap_path_parameters(context: Any, path_parameters: Any) -> Any:
    return _hostile.with_hostile_parameter(path_parameters)


@hostile_schema.hooks.apply(flatmap_body)
@hostile_schema.hooks.apply(flatmap_query)
@hostile_schema.hooks.apply(flatmap_path_parameters)
@hostile_schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_with_hostile_strings_gets_a_server_error(
    case: schemathesis.Case, admin_token: str
) -> None:
    response = case.call(headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
