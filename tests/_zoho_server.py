"""A local Zoho CRM for the sync tests: a real threaded HTTP server on 127.0.0.1 answering
with the shapes Zoho documents for its v8 API (OAuth token endpoint, records with paging
and If-Modified-Since, bulk update, users, the error bodies), built from those documents
rather than from the adapter.

Switches for the tests: ``rate_limit_at`` answers 429 ``TOO_MANY_REQUESTS`` once at that
API call (counted from 1); ``revoke_tokens_at`` makes every issued token invalid at that
call (the client must refresh); ``updates[id]`` counts every update applied to a record;
``now`` is the time the server stamps as ``Modified_Time``."""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "1000.TESTCLIENT"
CLIENT_SECRET = "test-client-secret"
REFRESH_TOKEN = "1000.refresh.test"
MAX_UPDATE = 100


def _error(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


class ZohoServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

            def do_PUT(self) -> None:
                server._serve(self, "PUT")

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> ZohoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def reset(self) -> None:
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        self.records: dict[str, dict[str, Any]] = {}
        self.users: list[dict[str, Any]] = []
        self.tokens: dict[str, datetime] = {}
        self.token_seconds = 3600
        self.calls = 0  # API calls (not token requests)
        self.token_requests = 0
        self.rate_limited = 0
        self.rate_limit_at: int | None = None
        self.revoke_tokens_at: int | None = None
        self.updates: Counter[str] = Counter()
        self.update_calls = 0
        self.page_tokens: dict[str, tuple[datetime | None, int]] = {}
        self._next_id = 4_876_876_000_000_100_000

    # -- test helpers ------------------------------------------------------------------

    def add_user(self, email: str, name: str) -> str:
        user_id = str(4_876_876_000_000_000_001 + len(self.users))
        self.users.append({"id": user_id, "email": email, "full_name": name, "status": "active"})
        return user_id

    def add_record(self, owner_id: str, **fields: Any) -> str:
        with self.lock:
            self._next_id += 1
            record_id = str(self._next_id)
            owner = next(u for u in self.users if u["id"] == owner_id)
            self.records[record_id] = {
                "id": record_id,
                **fields,
                "Owner": {"id": owner_id, "name": owner["full_name"], "email": owner["email"]},
                "Modified_Time": self.now,
            }
            return record_id

    def change(self, record_id: str, **fields: Any) -> None:
        with self.lock:
            if "Owner" in fields:
                owner_id = fields.pop("Owner")
                owner = next(u for u in self.users if u["id"] == owner_id)
                fields["Owner"] = {
                    "id": owner["id"],
                    "name": owner["full_name"],
                    "email": owner["email"],
                }
            self.records[record_id].update(fields, Modified_Time=self.now)

    def owner_of(self, record_id: str) -> str:
        return str(self.records[record_id]["Owner"]["id"])

    # -- HTTP ----------------------------------------------------------------------------

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = b"" if body is None else json.dumps(body, default=_json_default).encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if raw:
            handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        if raw:
            handler.wfile.write(raw)

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self.lock:
            if parsed.path == "/oauth/v2/token" and method == "POST":
                form = {**query, **dict(urllib.parse.parse_qsl(raw.decode()))}
                return self._token(handler, form)
            if not parsed.path.startswith("/crm/v8/"):
                return self._send(
                    handler,
                    404,
                    _error(
                        "INVALID_URL_PATTERN",
                        "Please check if the URL trying to access is a correct one",
                    ),
                )
            self.calls += 1
            if self.revoke_tokens_at == self.calls:
                self.tokens.clear()
            auth = handler.headers.get("Authorization") or ""
            token = auth.removeprefix("Zoho-oauthtoken ")
            if not auth.startswith("Zoho-oauthtoken ") or token not in self.tokens:
                return self._send(handler, 401, _error("INVALID_TOKEN", "invalid oauth token"))
            if self.tokens[token] <= datetime.now(UTC):
                return self._send(handler, 401, _error("INVALID_TOKEN", "invalid oauth token"))
            if self.rate_limit_at == self.calls:
                self.rate_limited += 1
                return self._send(
                    handler, 429,
                    _error("TOO_MANY_REQUESTS", "The API request limit has been exceeded"),
                    {"Retry-After": "30"},
                )  # fmt: skip
            path = parsed.path.removeprefix("/crm/v8/")
            if path == "users" and method == "GET":
                return self._users(handler, query)
            if "/" not in path and method == "GET":
                return self._records(handler, query, handler.headers.get("If-Modified-Since"))
            if "/" not in path and method == "PUT":
                return self._update(handler, raw)
            return self._send(
                handler,
                404,
                _error(
                    "INVALID_URL_PATTERN",
                    "Please check if the URL trying to access is a correct one",
                ),
            )

    def _token(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        self.token_requests += 1
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("refresh_token") != REFRESH_TOKEN
        ):
            return self._send(handler, 200, {"error": "invalid_code"})
        token = "1000." + secrets.token_hex(16)
        self.tokens[token] = datetime.now(UTC) + timedelta(seconds=self.token_seconds)
        return self._send(handler, 200, {
            "access_token": token,
            "api_domain": self.url,
            "token_type": "Bearer",
            "expires_in": self.token_seconds,
        })  # fmt: skip

    def _users(self, handler: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 200))
        chunk = self.users[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(self.users)
        info = {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more}
        return self._send(handler, 200, {"users": chunk, "info": info})

    def _records(
        self, handler: BaseHTTPRequestHandler, query: dict[str, str], since_header: str | None
    ) -> None:
        if "fields" not in query:
            return self._send(
                handler,
                400,
                _error(
                    "REQUIRED_PARAM_MISSING",
                    "One of the expected parameter is missing",
                    {"param": "fields"},
                ),
            )
        fields = [f for f in query["fields"].split(",") if f]
        if len(fields) > 50:
            return self._send(handler, 400, _error("LIMIT_EXCEEDED", "fields: at most 50"))
        if "ids" in query:
            rows = [self.records[i] for i in query["ids"].split(",") if i in self.records]
            return self._send(handler, 200, {"data": [self._shape(r, fields) for r in rows]})
        per_page = min(int(query.get("per_page", 200)), 200)
        if "page_token" in query:
            if query["page_token"] not in self.page_tokens:
                return self._send(
                    handler,
                    400,
                    _error("INVALID_DATA", "invalid page token", {"param": "page_token"}),
                )
            since, offset = self.page_tokens.pop(query["page_token"])
        else:
            since = datetime.fromisoformat(since_header) if since_header else None
            offset = 0
        rows = sorted(self.records.values(), key=lambda r: (r["Modified_Time"], r["id"]))
        if since is not None:
            rows = [r for r in rows if r["Modified_Time"] > since]
            if not rows:
                return self._send(handler, 304)
        if not rows:
            return self._send(handler, 204)
        chunk = rows[offset : offset + per_page]
        more = offset + per_page < len(rows)
        next_token = None
        if more:
            next_token = secrets.token_hex(12)
            self.page_tokens[next_token] = (since, offset + per_page)
        info = {
            "per_page": per_page, "count": len(chunk), "sort_by": "Modified_Time",
            "sort_order": "asc", "more_records": more, "next_page_token": next_token,
            "previous_page_token": None, "page_token_expiry": None,
        }  # fmt: skip
        return self._send(
            handler, 200, {"data": [self._shape(r, fields) for r in chunk], "info": info}
        )

    def _shape(self, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        return {"id": record["id"], **{f: record.get(f) for f in fields}}

    def _update(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        try:
            data = json.loads(raw)["data"]
            assert isinstance(data, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._send(handler, 400, _error("INVALID_DATA", "invalid data"))
        if len(data) > MAX_UPDATE:
            return self._send(
                handler, 400, _error("LIMIT_EXCEEDED", f"at most {MAX_UPDATE} records")
            )
        self.update_calls += 1
        user_ids = {u["id"] for u in self.users}
        answers = []
        for i, item in enumerate(data):
            record = self.records.get(str(item.get("id")))
            owner = (item.get("Owner") or {}).get("id")
            if record is None:
                answers.append(
                    _error(
                        "INVALID_DATA",
                        "the related id given seems to be invalid",
                        {"api_name": "id", "json_path": f"$.data[{i}].id"},
                    )
                )
                continue
            if owner is not None and owner not in user_ids:
                answers.append(
                    _error(
                        "INVALID_DATA",
                        "invalid data",
                        {"api_name": "Owner", "json_path": f"$.data[{i}].Owner"},
                    )
                )
                continue
            changes = {k: v for k, v in item.items() if k not in ("id", "Owner")}
            if owner is not None:
                user = next(u for u in self.users if u["id"] == owner)
                changes["Owner"] = {"id": owner, "name": user["full_name"], "email": user["email"]}
            record.update(changes, Modified_Time=self.now)
            self.updates[record["id"]] += 1
            answers.append({
                "code": "SUCCESS",
                "details": {"Modified_Time": self.now, "id": record["id"]},
                "message": "record updated",
                "status": "success",
            })  # fmt: skip
        return self._send(handler, 200, {"data": answers})


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    raise TypeError(type(value).__name__)
