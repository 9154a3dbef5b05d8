"""Bearer tokens: `--token-file F` guards the read endpoints, `--admin-token T` enables `POST /v1/reload`."""

import hmac
import pathlib

from starlette.exceptions import HTTPException

from keras_captcha.core.errors import CaptchaError


def read_token_file(path):
    """The token in `path` (surrounding white space dropped); `CaptchaError` naming a missing or empty file."""
    path = pathlib.Path(path)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CaptchaError(f"--token-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CaptchaError(f"--token-file {path}: not readable ({error})") from None
    if not token:
        raise CaptchaError(f"--token-file {path}: the file is empty; put the token in it")
    return token


def require_bearer(request, token, what):
    """Raises a 401 `HTTPException` unless `request` carries `Authorization: Bearer <token>`."""
    sent = request.headers.get("authorization", "")
    scheme, _, value = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise HTTPException(401, f"{what} needs 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
