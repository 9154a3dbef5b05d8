"""What a server serves: the models by name and the request limits, passed to every worker as JSON."""

import dataclasses
import json

#: A request body larger than this is refused with 413 (configurable).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: More images than this in one request are refused with 400 (configurable).
MAX_IMAGES = 64


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
