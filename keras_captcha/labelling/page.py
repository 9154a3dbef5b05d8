"""`keras-captcha label`: the labelling page, a local web app over a `LabelSession` (FastAPI, the `[serve]` extra).

    app = create_label_app(session, host="127.0.0.1", port=8000)   # uvicorn.run(app, ...)

`GET /` is the page (`static/label.html`, the session's token in it),
`GET /api/state` the progress and queue, `GET /images/<id>` an image by the id
the session gave it, `POST /api/labels` `{"id", "label"}` writes a label,
`POST /api/retrain` starts a background run. It is a server on the user's
machine, so: only the images of the folder, by id (anything else is a 404);
a request whose `Host` is not the address it is bound to is refused (DNS
rebinding); a `POST` without the page's token, or from another origin, is
refused (CSRF). Every refusal is a 4xx with `{"error": "one line"}`.
"""

import json
import pathlib
import secrets
import webbrowser

import fastapi
import uvicorn
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from keras_captcha.core.errors import CaptchaError
from keras_captcha.core.listening import address, bound_port, listening_socket
from keras_captcha.labelling.retrain import Retrainer
from keras_captcha.labelling.session import LabelSession

PAGE = pathlib.Path(__file__).resolve().parent / "static" / "label.html"
TOKEN_HEADER = "x-label-token"
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".bmp": "image/bmp", ".webp": "image/webp"}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(host, port):
    """The `Host` header values the page answers: the bound address (and `localhost` for a loopback one)."""
    names = {host if ":" not in host else f"[{host}]"}
    if host in LOOPBACK:
        names |= {"127.0.0.1", "localhost"}
    return {f"{name}:{port}" for name in names}


def create_label_app(session, host="127.0.0.1", port=8000, retrainer=None, token=None):
    """The page's FastAPI app for `session`; `retrainer` (a `Retrainer`) enables `POST /api/retrain`."""
    token = token or secrets.token_urlsafe(24)
    hosts = allowed_hosts(host, port)
    origins = {f"http://{name}" for name in hosts}
    page = PAGE.read_text(encoding="utf-8").replace("__LABEL_TOKEN__", token)
    app = fastapi.FastAPI(title="keras-captcha label", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def refuse_foreign_requests(request, call_next):
        if request.headers.get("host") not in hosts:
            return _error(403, f"this page answers to {', '.join(sorted(hosts))} only (Host header)")
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and origin not in origins:
                return _error(403, f"requests from {origin} are refused (another origin)")
            if not secrets.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
                return _error(403, "this request lacks the page's token; reload the page")
        return await call_next(request)

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        return _error(error.status_code, error.detail)

    @app.get("/", response_class=HTMLResponse)
    async def label_page():
        return HTMLResponse(page, headers={"cache-control": "no-store"})

    @app.get("/api/state")
    async def state():
        return {**await run_in_threadpool(session.state), "training": retrainer.status() if retrainer else None}

    @app.get("/images/{image_id}")
    async def image(image_id: str):
        path = session.path(image_id)
        if path is None:
            raise HTTPException(404, f"no image {image_id!r} in this session")
        return Response(pathlib.Path(path).read_bytes(), media_type=MEDIA_TYPES[pathlib.Path(path).suffix.lower()],
                        headers={"cache-control": "private, max-age=3600"})

    @app.post("/api/labels")
    async def label(request: fastapi.Request):
        image_id, text = _label_request(await request.body())
        if session.path(image_id) is None:
            raise HTTPException(404, f"no image {image_id!r} in this session")
        try:
            result = await run_in_threadpool(session.label, image_id, text)  # checked, and on disk when it returns
        except CaptchaError as error:
            raise HTTPException(400, str(error)) from None
        if retrainer:
            retrainer.labelled_one()
        return {**result, "training": retrainer.status() if retrainer else None}

    @app.post("/api/retrain")
    async def retrain():
        if retrainer is None:
            raise HTTPException(404, "retraining is off for this page")
        try:
            return retrainer.start()
        except CaptchaError as error:
            raise HTTPException(409, str(error)) from None

    return app


def _label_request(body):
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or "label" not in payload:
        raise HTTPException(400, "send {\"id\": ..., \"label\": ...}")
    if not isinstance(payload["label"], str):
        raise HTTPException(400, "'label' must be a string")
    return payload["id"], payload["label"]


def _error(status, message):
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


def serve_label_page(data_dir, out, predictor, host="127.0.0.1", port=8000, open_browser=True,
                     retrain_every=None, report=print):
    """Reads the images of `data_dir` with `predictor`, then serves the page on `host`:`port` (0: any
    free port) until Ctrl-C or SIGTERM.

    `CaptchaError` (before anything listens) for an address the system refuses, a folder without
    readable images, or an `out` that is not a labels CSV or whose folder does not exist.
    """
    sock = listening_socket(host, port)
    port = bound_port(sock)
    try:
        session = LabelSession(data_dir, out, predictor)
    except CaptchaError:
        sock.close()
        raise
    runs_dir = pathlib.Path(out).resolve().parent / "label_runs"
    app = create_label_app(session, host, port, Retrainer(session, data_dir, runs_dir, retrain_every))
    url = f"http://{address(host, port)}/"
    state = session.state()
    report(f"{state['total']} images, {state['labelled']} labelled already; label them at {url}")
    if open_browser:
        webbrowser.open(url)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
