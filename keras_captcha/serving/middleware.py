"""ASGI middleware: the request body limit (a JSON 413), and the one-line access log that also counts requests."""

import json
import logging
import time

from starlette.exceptions import HTTPException

log = logging.getLogger("keras_captcha.server")


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413 with a JSON error, unread.

    FastAPI's own `max_body_size` answers a declared oversized body in plain
    text; every error of this API is JSON.
    """

    def __init__(self, app, limit):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _send_error(send, 413, f"the request body is over the {self.limit}-byte limit")
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, f"the request body is over the {self.limit}-byte limit")
            return message

        return await self.app(scope, limited_receive, send)


async def _send_error(send, status, message):
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """ASGI middleware: one line per request (method, path, status, milliseconds, images), and
    `keras_captcha_requests_total{path,status}`, its path one of `paths` or "other"."""

    def __init__(self, app, metrics, paths):
        self.app, self.metrics, self.paths = app, metrics, frozenset(paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500
        scope.setdefault("state", {})["images"] = 0

        async def send_and_note(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            path = scope["path"] if scope["path"] in self.paths else "other"
            self.metrics.requests.labels(path, str(status)).inc()
            log.info(
                "%s %s %d %.1fms images=%d",
                scope["method"], scope["path"], status, milliseconds, scope["state"]["images"],
            )
