"""Reading a `POST /v1/read` request: its images and fields from a multipart form or a JSON body.

Every mistake is an `HTTPException` with a one-line message (a 4xx).
"""

import base64
import binascii
import json

from starlette.exceptions import HTTPException

#: The content types `POST /v1/read` takes.
CONTENT_TYPES = ("multipart/form-data", "application/json")


async def read_request(request, max_images):
    """The `(image bytes, name)` pairs and the text fields of a read request, by its content type."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        return await _multipart(request, max_images)
    if content_type == "application/json":
        return _json_request(await request.body())
    raise HTTPException(
        415, f"unsupported content type {content_type or 'none'!r}; send {' or '.join(CONTENT_TYPES)}"
    )


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
