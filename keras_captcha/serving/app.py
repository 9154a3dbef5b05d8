"""`keras-captcha serve`: an HTTP API over the TensorFlow-free runtime (FastAPI on uvicorn).

    from keras_captcha.serving import create_app
    app = create_app({"default": "exported/captcha_int8.tflite"})   # any ASGI server runs it

Endpoints: `GET /health`, `GET /v1/models` (each model's name and card),
`POST /v1/read` (multipart `image` files or JSON `{"images": [base64, ...]}`,
optional `model` and `allowed`) -> `{"model", "results": [Reading.to_dict()]}`
in request order; `/docs` and `/openapi.json` come from FastAPI. Every
client mistake is a 4xx with `{"error": "one line"}`. The server keeps no
state between requests, so any number of processes or machines can serve
behind a load balancer.
"""

import logging

import fastapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from keras_captcha.core.assets import shipped_model
from keras_captcha.core.errors import CaptchaError
from keras_captcha.serving.middleware import AccessLog, BodyLimit
from keras_captcha.serving.models import load_models
from keras_captcha.serving.options import ServeOptions
from keras_captcha.serving.requests import read_request
from keras_captcha.serving.schema import READ_REQUEST_BODY, ErrorResponse, ReadResponse

log = logging.getLogger("keras_captcha.server")


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
        return JSONResponse({"error": " ".join(str(error.detail).split())}, status_code=error.status_code)

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

    @app.post(
        "/v1/read",
        response_model=ReadResponse,
        responses={code: {"model": ErrorResponse} for code in (400, 413, 415)},
        openapi_extra=READ_REQUEST_BODY,
    )
    async def read(request: fastapi.Request):
        """Reads every image of the request with one model, in order."""
        images, fields = await read_request(request, options.max_images)
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
