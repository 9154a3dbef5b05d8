"""`keras-captcha serve`: an HTTP API over the TensorFlow-free runtime (FastAPI on uvicorn).

    from keras_captcha.serving import create_app
    app = create_app({"default": "exported/captcha_int8.tflite"})   # any ASGI server runs it

Endpoints: `GET /health`, `GET /metrics` (Prometheus), `GET /v1/models`
(each model's name and card), `POST /v1/read` (multipart `image` files or
JSON `{"images": [base64, ...]}`, optional `model` and `allowed`) ->
`{"model", "results": [Reading.to_dict()]}` in request order, `POST
/v1/feedback` (with `collect`), `POST /v1/reload` (with `admin_token`);
`/docs` and `/openapi.json` come from FastAPI. Every client mistake is a 4xx
with `{"error": "one line"}`.
"""

import asyncio
import contextlib
import logging
import os
import signal
import time

import fastapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.serving.auth import read_token_file, require_bearer
from keras_captcha.serving.collect import Collector
from keras_captcha.serving.feedback import AlreadyLabelled, FeedbackLog, UnknownReading
from keras_captcha.serving.metrics import NoMetrics, ServerMetrics
from keras_captcha.serving.middleware import AccessLog, BodyLimit
from keras_captcha.serving.models import ModelSet
from keras_captcha.serving.options import ServeOptions
from keras_captcha.serving.requests import read_feedback, read_request
from keras_captcha.serving.schema import FEEDBACK_REQUEST_BODY, READ_REQUEST_BODY, ErrorResponse, ReadResponse

log = logging.getLogger("keras_captcha.server")
#: The paths `keras_captcha_requests_total` names; any other is counted as "other".
API_PATHS = ("/health", "/metrics", "/v1/models", "/v1/read", "/v1/feedback", "/v1/reload", "/docs", "/openapi.json")


def create_app(options, reload_on_sighup=False):
    """The FastAPI app serving `options` (a `ServeOptions`, or a `{name: path}` dict of models).

    With `reload_on_sighup` (a server's main thread: `keras-captcha serve`), SIGHUP reloads
    the models on a worker thread while the event loop keeps answering.

    `app.state.models` is its `ModelSet` (`reload()` swaps the models in), `app.state.collector`
    its `Collector` or None. `CaptchaError` for a model that does not open, a `collect` folder
    that cannot be written, a missing or empty `token_file`.
    """
    if isinstance(options, dict):
        options = ServeOptions(models=options)
    metrics = ServerMetrics() if options.metrics else NoMetrics()
    models = ModelSet(options.models, options.threshold, metrics)
    token = read_token_file(options.token_file) if options.token_file else None
    collector = feedback = None
    if options.collect:
        collector = Collector(options.collect, int(options.collect_max_mb * 1024 * 1024), metrics, options.workers)
        feedback = FeedbackLog(collector.folder)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if reload_on_sighup:  # the loop's own handler: no work inside a signal handler
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, models.reload))
        yield
        if collector:
            collector.flush()
        metrics.worker_exited(os.getpid())

    app = fastapi.FastAPI(
        title="keras-captcha",
        summary="Reads text captchas with small exported models (TensorFlow-free runtime).",
        version="1",
        lifespan=lifespan,
    )
    app.state.models, app.state.collector = models, collector

    def guard(request):
        if token:
            require_bearer(request, token, request.url.path)

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        allowed = _methods_at(app, request.url.path) if error.status_code in (404, 405) else ()
        if allowed and request.method not in allowed:  # 404: the page's mount at / took the path
            error = HTTPException(405, f"{request.method} {request.url.path}: send {' or '.join(allowed)}",
                                  headers={"Allow": ", ".join(allowed)})
        return JSONResponse({"error": " ".join(str(error.detail).split())}, status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def server_error(request, error):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal server error"}, status_code=500)

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": list(models.models)}

    @app.get("/metrics")
    async def prometheus_metrics():
        if not metrics.enabled:
            raise HTTPException(404, "this server counts nothing (serve --no-metrics)")
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @app.get("/v1/models")
    async def list_models(request: fastapi.Request):
        guard(request)
        served = models.models
        return {
            "default": models.default,
            "models": [{"name": name, "card": model.card, "sha256": model.sha256} for name, model in served.items()],
        }

    @app.post(
        "/v1/read",
        response_model=ReadResponse,
        responses={code: {"model": ErrorResponse} for code in (400, 401, 413, 415)},
        openapi_extra=READ_REQUEST_BODY,
    )
    async def read(request: fastapi.Request):
        """Reads every image of the request with one model, in order."""
        guard(request)
        images, fields = await read_request(request, options.max_images)
        if not images:
            raise HTTPException(
                400, "no images: send one or more 'image' files, an 'images' list or an image as the body"
            )
        if len(images) > options.max_images:
            raise HTTPException(400, f"{len(images)} images in one request; the limit is {options.max_images}")
        name = fields.get("model") or models.default
        model = models.get(name)  # held for the whole request: a reload swaps in the next one
        if model is None:
            raise HTTPException(400, f"unknown model {name!r}; this server has {', '.join(models.models)}")
        request.scope["state"]["images"] = len(images)
        started = time.perf_counter()
        try:
            results = model.read(images, fields.get("allowed") or None)
        except CaptchaError as error:
            metrics.reads.labels(name, "error").inc(len(images))
            raise HTTPException(400, str(error)) from None
        metrics.count_reads(name, results, time.perf_counter() - started)
        if collector:
            for (image, _), result in zip(images, results):
                if result["uncertain"]:
                    reading_id = collector.offer(name, image, result)
                    if reading_id:
                        result["id"] = reading_id
        return JSONResponse({"model": name, "results": results})

    @app.post("/v1/feedback", responses={code: {"model": ErrorResponse} for code in (400, 401, 404, 409)},
              openapi_extra=FEEDBACK_REQUEST_BODY)
    async def give_feedback(request: fastapi.Request):
        """Records the true text of a collected reading (`{"id", "label"}` or `{"id", "correct": true}`)."""
        guard(request)
        if feedback is None:
            raise HTTPException(404, "this server collects nothing to give feedback on (serve --collect DIR)")
        reading_id, label, correct = read_feedback(await request.body())
        try:
            recorded = await run_in_threadpool(feedback.record, reading_id, label, correct)
        except UnknownReading as error:
            raise HTTPException(404, str(error)) from None
        except AlreadyLabelled:
            raise HTTPException(409, f"the reading {reading_id} is already answered") from None
        except CaptchaError as error:
            raise HTTPException(400, str(error)) from None
        metrics.feedback.labels("correct" if correct else "label").inc()
        return recorded

    @app.post("/v1/reload", responses={code: {"model": ErrorResponse} for code in (401, 404)})
    async def reload_models(request: fastapi.Request):
        """Opens every model again from its path and swaps in each that opens (every worker)."""
        if not options.admin_token:
            raise HTTPException(404, "reloading over HTTP is off (serve --admin-token TOKEN)")
        require_bearer(request, options.admin_token, "/v1/reload")
        outcomes = await run_in_threadpool(models.reload)
        if options.workers > 1:  # the supervisor forwards SIGHUP to every worker
            os.kill(os.getppid(), signal.SIGHUP)
        return {"models": outcomes}

    if options.web_dir:  # the browser page at /, reading the shipped models from /exported/
        app.mount("/exported", StaticFiles(directory=shipped_model().parent), name="exported")
        app.mount("/", StaticFiles(directory=options.web_dir, html=True), name="web")

    app.add_middleware(BodyLimit, limit=options.max_body_bytes)
    app.add_middleware(AccessLog, metrics=metrics, paths=API_PATHS)  # outermost: sees every response
    return app


def _methods_at(app, path):
    """The HTTP methods `app`'s API routes take at `path`, sorted (none: no API route there)."""
    return sorted({method for route in app.routes if isinstance(route, APIRoute) and route.path == path
                   for method in route.methods})
