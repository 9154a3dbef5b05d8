"""`keras-captcha serve`: an HTTP API over the TensorFlow-free runtime (FastAPI on uvicorn).

    from keras_captcha.server import create_app
    app = create_app({"default": "exported/captcha_int8.tflite"})   # any ASGI server runs it

Endpoints: `GET /health`, `GET /v1/models` (each model's name and card),
`POST /v1/read` (multipart `image` files or JSON `{"images": [base64, ...]}`,
optional `model` and `allowed`) -> `{"model", "results": [Reading.to_dict()]}`
in request order; `/docs` and `/openapi.json` come from FastAPI. Every
client mistake is a 4xx with `{"error": "one line"}`. The server keeps no
state between requests, so any number of processes or machines can serve
behind a load balancer.
"""

import base64
import binascii
import dataclasses
import json
import logging
import pathlib
import signal
import threading
import time

import fastapi
import pydantic
import threadpoolctl
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from keras_captcha.card import shipped_model
from keras_captcha.errors import CaptchaError
from keras_captcha.loading import open_predictor

log = logging.getLogger("keras_captcha.server")

#: A request body larger than this is refused with 413 (configurable).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: More images than this in one request are refused with 400 (configurable).
MAX_IMAGES = 64
#: The content types `POST /v1/read` takes.
CONTENT_TYPES = ("multipart/form-data", "application/json")


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """What `create_app` serves: `models` maps names to model paths (the first is the default)."""

    models: dict
    max_body_bytes: int = MAX_BODY_BYTES
    max_images: int = MAX_IMAGES
    web_dir: str = None

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


class CharacterReading(pydantic.BaseModel):
    char: str
    confidence: float


class ReadingResult(pydantic.BaseModel):
    text: str
    confidence: float
    uncertain: bool
    characters: list[CharacterReading]


class ReadResponse(pydantic.BaseModel):
    model: str
    results: list[ReadingResult]


class ErrorResponse(pydantic.BaseModel):
    error: str


class ServedModel:
    """One model: its card for `/v1/models` and one predictor per thread (LiteRT interpreters are not thread-safe)."""

    def __init__(self, name, path):
        self.name, self.path = name, pathlib.Path(path)
        first = open_predictor(self.path)
        self.card = _card_of(first)
        self._local = threading.local()
        self._local.predictor = first

    @property
    def predictor(self):
        predictor = getattr(self._local, "predictor", None)
        if predictor is None:
            predictor = self._local.predictor = open_predictor(self.path)
        return predictor

    def read(self, images, allowed):
        """`(encoded image file, name)` pairs -> `Reading` dicts, in order, as one batch.

        `CaptchaError` names the image that cannot be read or the allowed
        characters the model lacks.
        """
        predictor = self.predictor
        batch = predictor.preprocess([data for data, _ in images], [name for _, name in images])
        return [reading.to_dict() for reading in predictor.decode(predictor.probabilities(batch), allowed)]


def _card_of(predictor):
    """The model card a predictor was opened with (`.tflite`, `.onnx`), or its config alone."""
    card = getattr(predictor, "card", None)
    return card.data if card is not None else {"config": predictor.config.to_dict()}


def load_models(models):
    """`{name: path}` -> `{name: ServedModel}`; `CaptchaError` names a model that cannot be opened."""
    if not models:
        raise CaptchaError("serve: no model to serve")
    return {name: ServedModel(name, path) for name, path in models.items()}


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
    """ASGI middleware: one line per request: method, path, status, milliseconds, images."""

    def __init__(self, app):
        self.app = app

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
            log.info(
                "%s %s %d %.1fms images=%d",
                scope["method"], scope["path"], status, milliseconds, scope["state"]["images"],
            )


def _one_line(text):
    return " ".join(str(text).split())


def default_web_dir():
    """The browser page's folder (`web/` of a checkout) when it is built, else None."""
    folder = pathlib.Path(__file__).resolve().parent.parent / "web"
    return str(folder) if (folder / "dist" / "app.js").is_file() else None


#: The environment variable through which `serve` hands its options to each worker process.
OPTIONS_VARIABLE = "KERAS_CAPTCHA_SERVE_OPTIONS"


def serve(options, host="127.0.0.1", port=8000, workers=1):
    """Runs the server until SIGTERM or Ctrl-C (both finish the requests in flight, then exit).

    The models are opened here first, so a bad one is a `CaptchaError`
    before anything listens; each of the `workers` processes then opens its own.
    """
    import os

    import uvicorn

    load_models(options.models)
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn finishes the requests in flight on SIGTERM, then re-raises the signal to the
    # handler it found: a no-op one lets `serve` return, and the command exit 0.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        "keras_captcha.server:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # AccessLog writes one line per request, with the image count
        timeout_graceful_shutdown=30,
    )


def app_from_environment():
    """The app of a worker process, from the options `serve` left in `OPTIONS_VARIABLE`.

    A worker is one process meant for one core: its BLAS (numpy's resize
    products) runs on one thread. OpenBLAS threads spin between calls and
    steal the other workers' cores: with 2 workers on 2 cores, 140 reads/s
    against 1,466 at concurrency 8 (benchmarks/RESULTS.md).
    """
    import os

    threadpoolctl.threadpool_limits(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return create_app(ServeOptions.from_json(os.environ[OPTIONS_VARIABLE]))


def create_app(options):
    """The FastAPI app serving `options` (a `ServeOptions`, or a `{name: path}` dict of models)."""
    if isinstance(options, dict):
        options = ServeOptions(models=options)
    models = load_models(options.models)
    default_name = next(iter(models))
    app = fastapi.FastAPI(
        title="keras-captcha",
        summary="Reads text captchas with small exported models (TensorFlow-free runtime).",
        version="1",
    )

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        return JSONResponse({"error": _one_line(error.detail)}, status_code=error.status_code)

    @app.exception_handler(Exception)
    async def server_error(request, error):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal server error"}, status_code=500)

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": list(models)}

    @app.get("/v1/models")
    async def list_models():
        return {
            "default": default_name,
            "models": [{"name": name, "card": model.card} for name, model in models.items()],
        }

    read_body = {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["image"],
                        "properties": {
                            "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
                            "model": {"type": "string"},
                            "allowed": {"type": "string"},
                        },
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["images"],
                        "properties": {
                            "images": {
                                "type": "array",
                                "items": {"type": "string", "format": "byte"},
                                "description": "base64 of image files (PNG, JPEG, GIF, BMP)",
                            },
                            "model": {"type": "string"},
                            "allowed": {"type": "string"},
                        },
                    }
                },
            },
        }
    }

    @app.post(
        "/v1/read",
        response_model=ReadResponse,
        responses={code: {"model": ErrorResponse} for code in (400, 413, 415)},
        openapi_extra=read_body,
    )
    async def read(request: fastapi.Request):
        """Reads every image of the request with one model, in order."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            images, fields = await _multipart(request, options.max_images)
        elif content_type == "application/json":
            images, fields = _json_request(await request.body())
        else:
            raise HTTPException(
                415, f"unsupported content type {content_type or 'none'!r}; send {' or '.join(CONTENT_TYPES)}"
            )
        if not images:
            raise HTTPException(400, "no images: send one or more 'image' files or an 'images' list")
        if len(images) > options.max_images:
            raise HTTPException(400, f"{len(images)} images in one request; the limit is {options.max_images}")
        name = fields.get("model") or default_name
        if name not in models:
            raise HTTPException(400, f"unknown model {name!r}; this server has {', '.join(models)}")
        allowed = fields.get("allowed") or None
        request.scope["state"]["images"] = len(images)
        try:
            results = models[name].read(images, allowed)
        except CaptchaError as error:
            raise HTTPException(400, str(error)) from None
        return JSONResponse({"model": name, "results": results})

    if options.web_dir:  # the browser page at /, reading the shipped models from /exported/
        app.mount("/exported", StaticFiles(directory=shipped_model().parent), name="exported")
        app.mount("/", StaticFiles(directory=options.web_dir, html=True), name="web")

    return AccessLog(BodyLimit(app, options.max_body_bytes))


async def _multipart(request, max_images):
    """The `image` files (bytes, in order) and the text fields of a multipart form."""
    form = await request.form(max_files=max_images + 1, max_fields=16)
    images, fields = [], {}
    for key, value in form.multi_items():
        if key == "image":
            if isinstance(value, str):
                raise HTTPException(400, "the 'image' field must be a file, not text")
            images.append(await value.read())
        elif key in ("model", "allowed"):
            if not isinstance(value, str):
                raise HTTPException(400, f"the {key!r} field must be text")
            fields[key] = value
    if len(images) > max_images:
        raise HTTPException(400, f"more than {max_images} images in one request")
    return [(image, f"image {i + 1}") for i, image in enumerate(images)], fields


def _json_request(body):
    """The decoded images and the fields of a JSON request body."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(400, f"the body is not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise HTTPException(400, "the JSON body must be an object with an 'images' list")
    images = payload.get("images")
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise HTTPException(400, "'images' must be a list of base64 strings")
    fields = {}
    for key in ("model", "allowed"):
        if payload.get(key) is not None:
            if not isinstance(payload[key], str):
                raise HTTPException(400, f"{key!r} must be a string")
            fields[key] = payload[key]
    decoded = []
    for index, image in enumerate(images):
        try:
            decoded.append((base64.b64decode(image, validate=True), f"images[{index}]"))
        except (binascii.Error, ValueError):
            raise HTTPException(400, f"images[{index}] is not valid base64") from None
    return decoded, fields

