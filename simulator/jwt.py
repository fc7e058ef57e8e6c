"""HS256 JSON Web Tokens with the standard library only.

Access and refresh tokens are signed with different secrets *and* carry a `type` claim, so an access
token can never pass as a refresh token (or the reverse), as with the real service. The secrets are
fixed: the simulator is a test double, and stable secrets let tests mint tokens (e.g. expired ones)
with `encode`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Literal

TokenType = Literal["access", "refresh"]

ACCESS_SECRET = b"simulator-access-secret"
REFRESH_SECRET = b"simulator-refresh-secret"
REFRESH_EXPIRES_MINS = 30 * 24 * 60
_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(ValueError):
    """The token is malformed, badly signed, of the wrong type or expired."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret(kind: TokenType) -> bytes:
    return ACCESS_SECRET if kind == "access" else REFRESH_SECRET


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def encode(
    claims: dict[str, Any],
    *,
    kind: TokenType = "access",
    expires_in_mins: float = 60,
    now: float | None = None,
) -> str:
    """Sign `claims` plus `type`, `iat` and `exp` (`now` is for tests that need expired tokens)."""
    issued = int(time.time() if now is None else now)
    payload = {
        **claims,
        "type": kind,
        "iat": issued,
        "exp": issued + int(expires_in_mins * 60),
    }
    signing_input = f"{_b64encode(_dumps(_HEADER))}.{_b64encode(_dumps(payload))}"
    signature = hmac.new(_secret(kind), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64encode(signature)}"


def decode(token: str, *, kind: TokenType = "access", now: float | None = None) -> dict[str, Any]:
    """Verify signature, type and expiry; return the payload or raise TokenError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    header_b64, payload_b64, signature_b64 = parts
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii", "replace")
    expected = hmac.new(_secret(kind), signing_input, hashlib.sha256).digest()
    try:
        signature = _b64decode(signature_b64)
        header = json.loads(_b64decode(header_b64))
        payload = json.loads(_b64decode(payload_b64))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if not hmac.compare_digest(signature, expected):
        raise TokenError("bad signature")
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("unsupported algorithm")
    if not isinstance(payload, dict) or payload.get("type") != kind:
        raise TokenError("wrong token type")
    exp = payload.get("exp")
    current = time.time() if now is None else now
    if not isinstance(exp, int | float) or exp <= current:
        raise TokenError("expired")
    return payload
