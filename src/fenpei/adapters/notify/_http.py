"""Posting JSON to a webhook with the standard library: one request, no redirects, a
timeout, and every failure turned into a short ``SendFailed``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fenpei.adapters._http_opener import OPENER
from fenpei.adapters.notify.errors import SendFailed

MAX_REPLY = 64 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self, what: str) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            raise SendFailed(f"{what}: the answer is not JSON: {self.body[:100]!r}") from None
        if not isinstance(parsed, dict):
            raise SendFailed(f"{what}: the answer is not a JSON object: {self.body[:100]!r}")
        return parsed


def post_json(
    url: str,
    payload: Mapping[str, Any] | bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    what: str,
) -> Reply:
    """POST ``payload`` as JSON (bytes: already serialised, e.g. signed); the reply if its
    status is 2xx, else ``SendFailed`` naming ``what`` (the URL is left out: a webhook's URL
    holds its access token)."""
    if not isinstance(payload, bytes):
        payload = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            status, body = response.status, response.read(MAX_REPLY)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SendFailed(f"{what}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SendFailed(f"{what}: no answer within {timeout:g} s") from exc
        raise SendFailed(f"{what}: cannot connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise SendFailed(f"{what}: no answer within {timeout:g} s") from exc
    except OSError as exc:
        raise SendFailed(f"{what}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise SendFailed(f"{what}: HTTP {status}")
    return Reply(status, body)
