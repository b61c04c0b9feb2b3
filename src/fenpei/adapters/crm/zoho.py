"""Zoho CRM's v8 records API (https://www.zoho.com/crm/developer/docs/api/v8/):

- OAuth: ``POST {accounts}/oauth/v2/token`` with ``grant_type=refresh_token`` answers
  ``access_token`` and ``expires_in`` (seconds); calls send ``Authorization:
  Zoho-oauthtoken <token>``; an expired one is answered 401 ``INVALID_TOKEN``: refresh
  once and retry.
- ``GET /crm/v8/{module}?fields=…&per_page=200`` pages with ``info.more_records`` and
  ``info.next_page_token`` (sent back as ``page_token``); ``If-Modified-Since`` asks only
  for records changed after a time (304 when none); 204 when there are no records.
- ``PUT /crm/v8/{module}`` updates up to 100 records, answering per record ``code``
  (``SUCCESS`` or the error) and ``status``.
- ``GET /crm/v8/users?type=ActiveUsers`` lists the users (id, email, full_name).
- 429 ``TOO_MANY_REQUESTS``: wait as the answer says (``Retry-After`` seconds, or
  ``X-RATELIMIT-RESET``), through the injected sleeper, then send the same call again.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fenpei.adapters.crm._http import Answer, call
from fenpei.domain.sync import (
    CrmError,
    CrmRecord,
    CrmUser,
    OwnerChange,
    PushAnswer,
    RecordPage,
)
from fenpei.services.sync.field_map import ZOHO_DEFAULT, apply_map

PER_PAGE = 200
MAX_PUSH = 100
DEFAULT_WAIT_SECONDS = 60.0
MAX_WAITS = 5  # rate-limit answers in a row before the run gives up (it resumes next time)


class ZohoAdapter:
    """``CrmAdapter`` for one Zoho CRM org and module."""

    def __init__(
        self,
        *,
        name: str,
        module: str,
        accounts_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        now: Callable[[], datetime],
        sleep: Callable[[float], None],
        field_map: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.name, self.module = name, module
        self._accounts = accounts_url.rstrip("/")
        self._api = api_url.rstrip("/")
        self._client = (client_id, client_secret, refresh_token)
        self._now, self._sleep, self._timeout = now, sleep, timeout
        self.field_map = dict(field_map or ZOHO_DEFAULT)
        self._token: str | None = None
        self._expires: datetime | None = None
        self.refreshes = 0
        self.waits: list[float] = []

    @property
    def max_push(self) -> int:
        return MAX_PUSH

    # -- OAuth -------------------------------------------------------------------------

    def _refresh(self) -> None:
        client_id, secret, refresh_token = self._client
        form = urllib.parse.urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": secret,
                "refresh_token": refresh_token,
            }
        ).encode()
        what = f"{self.name}: token refresh"
        answer = call(
            "POST", f"{self._accounts}/oauth/v2/token", headers={}, timeout=self._timeout,
            what=what, form=form,
        )  # fmt: skip
        body = answer.json(what)
        token = body.get("access_token")
        if answer.status != 200 or not isinstance(token, str) or not token:
            raise CrmError(f"{what} refused: {body.get('error') or f'HTTP {answer.status}'}")
        expires_in = body.get("expires_in")
        seconds = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        self._token = token
        self._expires = self._now() + timedelta(seconds=seconds)
        self.refreshes += 1

    def _fresh_token(self) -> str:
        # Refreshed a minute early: a token about to expire would fail mid-page.
        if (
            self._token is None
            or self._expires is None
            or self._now() >= self._expires - timedelta(minutes=1)
        ):
            self._refresh()
        assert self._token is not None
        return self._token

    # -- one call, with token refresh and rate-limit waits ------------------------------

    def _wait_seconds(self, answer: Answer) -> float:
        headers = {k.lower(): v for k, v in answer.headers.items()}
        try:
            if "retry-after" in headers:
                return max(0.0, float(headers["retry-after"]))
            if "x-ratelimit-reset" in headers:
                reset = float(headers["x-ratelimit-reset"])
                reset = reset / 1000 if reset > 1e11 else reset  # epoch milliseconds
                return max(0.0, reset - self._now().timestamp())
        except ValueError:
            pass
        return DEFAULT_WAIT_SECONDS

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        url = f"{self._api}/crm/v8/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        what = f"{self.name}: {method} /crm/v8/{path}"
        refreshed = waits = 0
        while True:
            sent = {"Authorization": f"Zoho-oauthtoken {self._fresh_token()}", **(headers or {})}
            answer = call(
                method, url, headers=sent, timeout=self._timeout, what=what, payload=payload
            )
            if (
                answer.status == 401
                and refreshed == 0
                and _code(answer) in ("INVALID_TOKEN", "AUTHENTICATION_FAILURE")
            ):
                refreshed += 1
                self._refresh()
                continue
            if answer.status == 429:
                waits += 1
                if waits > MAX_WAITS:
                    raise CrmError(f"{what}: still rate-limited after {MAX_WAITS} waits")
                seconds = self._wait_seconds(answer)
                self.waits.append(seconds)
                self._sleep(seconds)
                continue
            if answer.status >= 400:
                body = answer.json(what) if answer.body else {}
                said = f"{body.get('code', '')} {body.get('message', '')}".strip()
                raise CrmError(f"{what}: HTTP {answer.status} {said}".strip())
            return answer

    # -- the port ---------------------------------------------------------------------

    def users(self) -> list[CrmUser]:
        found: list[CrmUser] = []
        page = 1
        while True:
            answer = self._call(
                "GET",
                "users",
                query={"type": "ActiveUsers", "page": str(page), "per_page": str(PER_PAGE)},
            )
            body = answer.json(f"{self.name}: users") if answer.status != 204 else {}
            for user in body.get("users") or []:
                if isinstance(user, dict) and user.get("id") is not None:
                    email = user.get("email")
                    found.append(
                        CrmUser(
                            str(user["id"]),
                            email if isinstance(email, str) else None,
                            str(user.get("full_name") or ""),
                        )
                    )
            if not (body.get("info") or {}).get("more_records"):
                return found
            page += 1

    def pull(self, *, modified_since: datetime | None, page_token: str | None) -> RecordPage:
        fields = sorted({*self.field_map, "Owner", "Modified_Time"})
        query = {
            "fields": ",".join(fields),
            "per_page": str(PER_PAGE),
            "sort_by": "Modified_Time",
            "sort_order": "asc",
        }
        if page_token:
            query["page_token"] = page_token
        headers = (
            {"If-Modified-Since": modified_since.isoformat(timespec="seconds")}
            if modified_since
            else {}
        )
        answer = self._call("GET", self.module, query=query, headers=headers)
        if answer.status in (204, 304):
            return RecordPage([], None)
        body = answer.json(f"{self.name}: GET {self.module}")
        records = [self._record(row) for row in body.get("data") or [] if isinstance(row, dict)]
        info = body.get("info") or {}
        more = bool(info.get("more_records"))
        token = info.get("next_page_token")
        return RecordPage(records, str(token) if more and token else None)

    def _record(self, row: Mapping[str, Any]) -> CrmRecord:
        owner = row.get("Owner") if isinstance(row.get("Owner"), dict) else {}
        assert isinstance(owner, dict)
        return CrmRecord(
            external_id=str(row.get("id")),
            fields=apply_map(row, self.field_map),
            modified_at=_parse_time(row.get("Modified_Time")),
            owner_external_id=str(owner["id"]) if owner.get("id") is not None else None,
            owner_email=owner.get("email") if isinstance(owner.get("email"), str) else None,
        )

    def owners_of(self, external_ids: Sequence[str]) -> dict[str, str | None]:
        owners: dict[str, str | None] = {}
        for start in range(0, len(external_ids), MAX_PUSH):
            chunk = external_ids[start : start + MAX_PUSH]
            answer = self._call(
                "GET", self.module, query={"ids": ",".join(chunk), "fields": "Owner"}
            )
            body = answer.json(f"{self.name}: GET {self.module}") if answer.status != 204 else {}
            for row in body.get("data") or []:
                if isinstance(row, dict):
                    owners[str(row.get("id"))] = self._record(row).owner_external_id
        return owners

    def push_owners(self, changes: Sequence[OwnerChange]) -> list[PushAnswer]:
        if len(changes) > MAX_PUSH:
            raise ValueError(f"at most {MAX_PUSH} records per call, got {len(changes)}")
        payload = {
            "data": [{"id": c.external_id, "Owner": {"id": c.owner_external_id}} for c in changes]
        }
        answer = self._call("PUT", self.module, payload=payload)
        rows = answer.json(f"{self.name}: PUT {self.module}").get("data") or []
        answers = []
        for i, change in enumerate(changes):
            row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
            ok = row.get("status") == "success" and row.get("code") == "SUCCESS"
            answers.append(
                PushAnswer(
                    change.external_id,
                    ok,
                    str(row.get("code", "NO_ANSWER")),
                    str(row.get("message", "")),
                )
            )
        return answers


def _code(answer: Answer) -> str:
    try:
        return str(answer.json("").get("code", ""))
    except CrmError:
        return ""


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
