"""What a server serves: the models by name, the request limits, collection and tokens, passed to every worker as JSON."""

import dataclasses
import json

#: A request body larger than this is refused with 413 (configurable).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: More images than this in one request are refused with 400 (configurable).
MAX_IMAGES = 64
#: Readings less confident than this are `uncertain` (counted, and collected with `collect`): on its own
#: style the shipped model reads 0.4% of captchas below 0.5, and 63% below 0.9 (README, Serving).
UNCERTAIN_BELOW = 0.5
#: The `--collect` folder stops growing at this size.
COLLECT_MAX_MB = 500


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """What `create_app` serves.

    `models` maps names to model paths (the first is the default). `threshold`:
    readings below it are uncertain. `collect`: a folder for the images of
    uncertain readings (at most `collect_max_mb` MB), which `POST /v1/feedback`
    labels. `token_file`: a file holding the bearer token the read endpoints
    require. `admin_token`: enables `POST /v1/reload` for that bearer token.
    `workers`: the processes serving (they share the collection folder's size). `metrics`:
    count for `GET /metrics` (prometheus_client), else count nothing.
    """

    models: dict
    max_body_bytes: int = MAX_BODY_BYTES
    max_images: int = MAX_IMAGES
    web_dir: str = None
    threshold: float = UNCERTAIN_BELOW
    collect: str = None
    collect_max_mb: float = COLLECT_MAX_MB
    token_file: str = None
    admin_token: str = None
    workers: int = 1
    metrics: bool = True

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))
