"""The API's documented shapes: the pydantic response models and the read request's OpenAPI body."""

import pydantic


class CharacterReading(pydantic.BaseModel):
    char: str
    confidence: float


class ReadingResult(pydantic.BaseModel):
    text: str
    confidence: float
    uncertain: bool
    characters: list[CharacterReading]
    id: str | None = None  # with --collect, for an uncertain reading: what POST /v1/feedback answers
    answer: int | None = None  # for a model with an answer rule: what the text answers


class ReadResponse(pydantic.BaseModel):
    model: str
    results: list[ReadingResult]


class ErrorResponse(pydantic.BaseModel):
    error: str


#: The OpenAPI request body and query of `POST /v1/read` (FastAPI cannot infer them from a raw `Request`).
READ_REQUEST_BODY = {
    "parameters": [
        {"name": "model", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "the model to read with (default: the server's first)"},
        {"name": "allowed", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "read only these characters"},
    ],
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
                            "description": "base64 of image files (PNG, JPEG, GIF, BMP, WebP), bare or as data: URLs",
                        },
                        "model": {"type": "string"},
                        "allowed": {"type": "string"},
                    },
                }
            },
            "image/*": {"schema": {"type": "string", "format": "binary", "description": "one image file"}},
        },
    }
}


#: The OpenAPI request body of `POST /v1/feedback`.
FEEDBACK_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "string", "description": "the id a collected reading's result carries"},
                        "label": {"type": "string", "description": "the true text"},
                        "correct": {"type": "boolean", "enum": [True], "description": "the reading was right"},
                    },
                }
            }
        },
    }
}
