"""One HTTP call with the standard library that hands back every status (the CRM's error
bodies say what went wrong); only a network failure raises ``CrmError``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fenpei.adapters._http_opener import OPENER
from fenpei.domain.sync import CrmError

MAX_REPLY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self, what: str) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            parsed = json.loads(self.body)
        except ValueError:
            raise CrmError(f"{what}: the answer is not JSON: {self.body[:100]!r}") from None
        if not isinstance(parsed, dict):
            raise CrmError(f"{what}: the answer is not a JSON object: {self.body[:100]!r}")
        return parsed


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
    what: str,
    payload: Mapping[str, Any] | None = None,
    form: bytes | None = None,
) -> Answer:
    """``method url`` with a JSON ``payload`` or a form body; the answer, whatever its status."""
    data: bytes | None = None
    sent = dict(headers)
    if payload is not None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        sent["Content-Type"] = "application/json; charset=utf-8"
    elif form is not None:
        data = form
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read(MAX_REPLY))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(MAX_REPLY)
        finally:
            exc.close()
        return Answer(exc.code, dict(exc.headers or {}), body)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise CrmError(f"{what}: no answer within {timeout:g} s") from exc
        raise CrmError(f"{what}: cannot connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise CrmError(f"{what}: no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise CrmError(f"{what}: {type(exc).__name__}: {exc}") from exc
