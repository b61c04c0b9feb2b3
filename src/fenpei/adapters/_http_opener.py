"""The standard library's HTTP opener without redirects, for every outbound call (webhooks,
IM robots, SMS gateways, CRMs): a 3xx is an answer to report, not a place to re-send a
body (and its signature or dedupe header) to."""

from __future__ import annotations

import urllib.request
from typing import Any


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirects)
