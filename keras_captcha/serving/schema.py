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


class ReadResponse(pydantic.BaseModel):
    model: str
    results: list[ReadingResult]


class ErrorResponse(pydantic.BaseModel):
    error: str


#: The OpenAPI request body of `POST /v1/read` (FastAPI cannot infer it from a raw `Request`).
READ_REQUEST_BODY = {
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
