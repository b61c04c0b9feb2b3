"""The HTTP input guard on its own, over a trivial app: what it refuses, what it reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from fenpei.domain.errors import FieldError
from fenpei.domain.limits import NESTING_MESSAGE, NUL_MESSAGE, SURROGATE_MESSAGE
from fenpei.http.input_guard import InputGuard
from tests._async import run as run_async

CAP = 4096


class Echo:
    """The app behind the guard: answers 200 with the body it was given."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await Response(body, status_code=200)(scope, receive, send)


def _refuse(request: Request, status: int, problem: FieldError | None, message: str) -> Response:
    field = problem.field if problem else None
    return JSONResponse({"field": field, "message": message}, status_code=status)


def _scope(
    *, path: str = "/api/v1/leads", query: bytes = b"", headers: dict[str, str] | None = None
) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }


class Sender:
    """A client sending ``chunks`` lazily, counting what the server pulled."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pulled = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        chunk = next(self.chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


def _call(scope: Scope, chunks: Iterator[bytes]) -> tuple[Sender, Echo]:
    inner = Echo()
    guard = InputGuard(inner, max_body_bytes=CAP, max_upload_bytes=CAP * 4, respond=_refuse)
    sender = Sender(chunks)
    run_async(guard(scope, sender.receive, sender.send))
    return sender, inner


def _endless(chunk: int = 1024) -> Iterator[bytes]:
    while True:
        yield b"x" * chunk


def test_a_declared_oversize_body_is_refused_before_a_byte_is_read() -> None:
    sender, inner = _call(_scope(headers={"Content-Length": str(50 * 2**20)}), _endless())
    assert sender.status == 413 and sender.pulled == 0 and inner.calls == 0


def test_an_undeclared_stream_is_cut_off_at_the_cap() -> None:
    sender, inner = _call(_scope(), _endless())
    assert sender.status == 413 and inner.calls == 0
    assert sender.pulled <= CAP + 1024


def test_multipart_gets_the_upload_cap() -> None:
    body = [b"x" * (CAP * 2)]
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    sender, inner = _call(_scope(headers=headers), iter(body))
    assert sender.status == 200 and inner.calls == 1


def test_a_body_within_the_cap_reaches_the_app_unchanged() -> None:
    body = json.dumps({"name": "王芳", "tags": ["😀"]}, ensure_ascii=True).encode()
    sender, inner = _call(_scope(headers={"Content-Type": "application/json"}), iter([body]))
    assert sender.status == 200 and inner.calls == 1
    assert b"".join(m.get("body", b"") for m in sender.sent[1:]) == body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "a\x00"}, "name", NUL_MESSAGE),
        ({"tags": ["ok", "\ud800"]}, "tags[1]", SURROGATE_MESSAGE),
        ({"custom": {"note": "\udfff"}}, "custom.note", SURROGATE_MESSAGE),
    ],
)
def test_bad_text_in_json_is_refused_naming_its_path(
    body: dict[str, Any], field: str, message: str
) -> None:
    raw = json.dumps(body, ensure_ascii=True).encode()
    sender, inner = _call(_scope(headers={"Content-Type": "application/json"}), iter([raw]))
    assert (sender.status, sender.json["field"], inner.calls) == (422, field, 0)
    assert message in sender.json["message"]


def test_deep_json_is_refused_before_any_parser_recurses() -> None:
    raw = b'{"conditions": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    guard = InputGuard(Echo(), max_body_bytes=len(raw) + 1, max_upload_bytes=1, respond=_refuse)
    sender = Sender(iter([raw]))
    run_async(guard(_scope(), sender.receive, sender.send))
    assert sender.status == 422 and NESTING_MESSAGE in sender.json["message"]


def test_form_fields_and_query_parameters_are_checked_by_name() -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    sender, _ = _call(_scope(headers=form), iter([b"name=ok&reason=a%00b"]))
    assert (sender.status, sender.json["field"]) == (422, "reason")
    sender, _ = _call(_scope(query=b"q=%00"), iter([b""]))
    assert (sender.status, sender.json["field"]) == (422, "q")


def test_malformed_json_is_left_to_the_route_to_answer() -> None:
    sender, inner = _call(_scope(headers={"Content-Type": "application/json"}), iter([b"{"]))
    assert sender.status == 200 and inner.calls == 1
