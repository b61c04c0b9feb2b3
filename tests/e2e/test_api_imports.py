"""The imports API, on SQLite and PostgreSQL, with tokens: a GBK file posted with a mapping
in skip mode is imported by the worker, followed to the end and its error file downloaded;
a bad mapping or file is a 422 naming it and keeps nothing; scopes and roles apply."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from fenpei.jobs.worker import Worker
from tests._import_files import MAPPING, gbk_leads
from tests.e2e.test_api_tokens import api, bearer, count, make_token, make_user

__all__ = ["api"]
IMPORTS = "/api/v1/imports"
FENPEI = str(Path(sys.executable).with_name("fenpei"))


def test_a_gbk_file_posted_in_skip_mode_is_imported_and_its_bad_rows_downloaded(
    app: Fenpei, api: TestClient
) -> None:
    _, token = make_token(app, "customers:write", "customers:read")
    file = gbk_leads(good=6, bad=2)
    before = count(app, tables.customers)
    posted = api.post(
        IMPORTS,
        headers=bearer(token),
        files={"file": (file.name, file.data)},
        data={"mapping": json.dumps({"联系人": "name"}), "mode": "skip", "source": "api-feed"},
    )
    assert posted.status_code == 202, posted.text
    body = posted.json()
    assert body["state"] == "queued" and body["encoding"] == "gb18030"
    assert body["mapping"] == MAPPING and body["source"] == "api-feed"

    Worker(app).imports()

    done = api.get(f"{IMPORTS}/{body['id']}", headers=bearer(token)).json()
    assert (done["state"], done["rows_done"], done["rows_total"], done["bad_rows"]) == (
        "done", 6, 6, 2,
    )  # fmt: skip
    assert count(app, tables.customers) == before + 6
    assert [e["field"] for e in done["errors"]] == [f"row {n}.phone" for n in file.bad_lines]
    errors = api.get(done["error_file"], headers=bearer(token))
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == file.bad_names
    listed = api.get(IMPORTS, headers=bearer(token)).json()
    assert [i["id"] for i in listed] == [body["id"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"mapping": "{not json"}, "mapping"),
        ({"mapping": json.dumps({"联系人": "shoe_size"})}, "mapping.联系人"),
        ({"mapping": json.dumps({"nope": "name"})}, "mapping.nope"),
        ({"mapping": json.dumps({"公司名称": "name", "联系人": "name"})}, "columns"),
        ({}, "columns"),  # 联系人 is not guessed: no column holds the name
    ],
)
def test_a_bad_mapping_is_422_naming_it_and_nothing_is_kept(
    app: Fenpei, api: TestClient, data: dict[str, str], field: str
) -> None:
    _, token = make_token(app, "customers:write")
    file = gbk_leads(good=2, bad=0)
    posted = api.post(
        IMPORTS, headers=bearer(token), files={"file": (file.name, file.data)}, data=data
    )
    assert posted.status_code == 422, posted.text
    assert field in [e["field"] for e in posted.json()["errors"]]
    assert count(app, tables.import_uploads) == 0


def test_an_unreadable_file_is_422_and_an_unknown_import_404(app: Fenpei, api: TestClient) -> None:
    _, token = make_token(app, "customers:write", "customers:read")
    posted = api.post(
        IMPORTS, headers=bearer(token), files={"file": ("a.csv", b"\x00\xff\xfe\x80")}
    )
    assert posted.status_code == 422
    assert posted.json()["errors"][0]["field"] == "file"
    assert api.get(f"{IMPORTS}/999", headers=bearer(token)).status_code == 404
    assert api.get(f"{IMPORTS}/999/errors", headers=bearer(token)).status_code == 404


def test_reading_needs_the_scope_and_a_rep_may_not_import(app: Fenpei, api: TestClient) -> None:
    _, reader = make_token(app, "customers:read")
    file = gbk_leads(good=1, bad=0)
    refused = api.post(IMPORTS, headers=bearer(reader), files={"file": (file.name, file.data)})
    assert refused.status_code == 403 and "customers:write" in refused.text
    make_user(app, "rep1", Role.rep)
    _, rep = make_token(app, "*", username="rep1")
    as_rep = api.post(IMPORTS, headers=bearer(rep), files={"file": (file.name, file.data)})
    assert as_rep.status_code == 403


def test_a_separate_worker_process_imports_what_the_api_received(
    app: Fenpei, api: TestClient
) -> None:
    """`fenpei worker --once` in a process of its own (as beside PostgreSQL): the upload's
    bytes are read from the database, not from the web process."""
    _, token = make_token(app, "customers:write", "customers:read")
    file = gbk_leads(good=3, bad=1)
    posted = api.post(
        IMPORTS,
        headers=bearer(token),
        files={"file": (file.name, file.data)},
        data={"mapping": json.dumps({"联系人": "name"}), "mode": "skip", "route": "false"},
    )
    assert posted.status_code == 202, posted.text
    env = {**os.environ, "FENPEI_DATABASE_URL": app.engine.url.render_as_string(False)}
    done = subprocess.run(
        [FENPEI, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    got = api.get(f"{IMPORTS}/{posted.json()['id']}", headers=bearer(token)).json()
    assert (got["state"], got["rows_done"], got["bad_rows"], got["route"]) == ("done", 3, 1, False)


def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_queues_nothing(
    app: Fenpei, api: TestClient
) -> None:
    _, token = make_token(app, "customers:write")
    file = gbk_leads(good=2, bad=0)
    headers = {**bearer(token), "Idempotency-Key": "upload-1"}
    data = {"mapping": json.dumps({"联系人": "name"})}
    first = api.post(IMPORTS, headers=headers, files={"file": (file.name, file.data)}, data=data)
    again = api.post(IMPORTS, headers=headers, files={"file": (file.name, file.data)}, data=data)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app, tables.import_uploads) == 1
    other = gbk_leads(good=3, bad=0)
    clash = api.post(IMPORTS, headers=headers, files={"file": (other.name, other.data)}, data=data)
    assert clash.status_code == 409
