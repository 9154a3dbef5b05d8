"""Reading a `POST /v1/read` request: its images and fields from a multipart form, a JSON body or one image as the body.

The fields (`model`, `allowed`) come from the form or JSON object, or from the
query string (`?model=float`), which a bare image body can only use. Every
mistake is an `HTTPException` with a one-line message (a 4xx).
"""

import base64
import binascii
import json

from starlette.exceptions import HTTPException

from keras_captcha.core.errors import CaptchaError
from keras_captcha.runtime.images import data_url_bytes

#: The content types `POST /v1/read` takes: `image/*` and `application/octet-stream` are one image file as the body.
CONTENT_TYPES = ("multipart/form-data", "application/json", "image/*", "application/octet-stream")
#: The text fields of a read request.
FIELDS = ("model", "allowed")


async def read_request(request, max_images):
    """The `(image bytes, name)` pairs and the text fields of a read request, by its content type."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        images, fields = await _multipart(request, max_images)
    elif content_type == "application/json":
        images, fields = _json_request(await request.body())
    elif content_type.startswith("image/") or content_type == "application/octet-stream":
        body = await request.body()
        images, fields = ([(body, "the body")] if body else []), {}
    else:
        raise HTTPException(
            415, f"unsupported content type {content_type or 'none'!r}; send {', '.join(CONTENT_TYPES)}"
        )
    return images, _with_query_fields(fields, request.query_params)


def _with_query_fields(fields, query):
    """`fields` and the query string's `FIELDS`; a field given in both with two values is a 400."""
    merged = dict(fields)
    for key in FIELDS:
        values = query.getlist(key)
        if len(set(values)) > 1 or (values and merged.get(key, values[0]) != values[0]):
            raise HTTPException(400, f"{key!r} is given twice, with different values")
        if values:
            merged[key] = values[0]
    return merged


async def _multipart(request, max_images):
    """The `image` files (bytes, in order) and the text fields of a multipart form."""
    form = await request.form(max_files=max_images + 1, max_fields=16)
    images, fields = [], {}
    for key, value in form.multi_items():
        if key == "image":
            if isinstance(value, str):
                raise HTTPException(400, "the 'image' field must be a file, not text")
            images.append(await value.read())
        elif key in FIELDS:
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
    for key in FIELDS:
        if payload.get(key) is not None:
            if not isinstance(payload[key], str):
                raise HTTPException(400, f"{key!r} must be a string")
            fields[key] = payload[key]
    decoded = []
    for index, image in enumerate(images):
        name = f"images[{index}]"
        try:
            data = data_url_bytes(image, name) if image.startswith("data:") else base64.b64decode(image, validate=True)
        except CaptchaError as error:  # a data: URL, as a browser's FileReader gives it, that is not base64
            raise HTTPException(400, str(error)) from None
        except (binascii.Error, ValueError):
            raise HTTPException(400, f"{name} is not valid base64") from None
        decoded.append((data, name))
    return decoded, fields


def read_feedback(body):
    """`(id, label, correct)` of a `POST /v1/feedback` JSON body: `{"id", "label"}` or `{"id", "correct": true}`."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(400, f"the body is not valid JSON ({error})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise HTTPException(400, "the JSON body must be an object with a string 'id'")
    unknown = sorted(set(payload) - {"id", "label", "correct"})
    if unknown:
        raise HTTPException(400, f"unknown fields {unknown}; send 'id' and 'label', or 'id' and 'correct': true")
    label, correct = payload.get("label"), payload.get("correct")
    if (label is None) == (correct is None):
        raise HTTPException(400, "send either 'label' (the true text) or 'correct': true, not both or neither")
    if correct is not None and correct is not True:
        raise HTTPException(400, "'correct' must be true; send the true text as 'label' otherwise")
    if label is not None and not isinstance(label, str):
        raise HTTPException(400, "'label' must be a string")
    return payload["id"], label, correct is True
