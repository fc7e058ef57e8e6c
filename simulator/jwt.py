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
import re
import time
from typing import Any, Literal

TokenType = Literal["access", "refresh"]

ACCESS_SECRET = b"simulator-access-secret"
REFRESH_SECRET = b"simulator-refresh-secret"
REFRESH_EXPIRES_MINS = 30 * 24 * 60
_HEADER = {"alg": "HS256", "typ": "JWT"}


class TokenError(ValueError):
    """The token is malformed, badly signed, of the wrong type or expired.

    `str(exc)` is the message the real service's JWT library (jsonwebtoken) gives for the same
    token, since DummyJSON shows some of them to clients: "jwt malformed", "invalid token",
    "jwt signature is required", "invalid algorithm", "invalid signature", "jwt expired".
    """


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


_JWS = re.compile(r"[A-Za-z0-9_-]+?\.[A-Za-z0-9_-]+?\.([A-Za-z0-9_-]+)?")


def decode(token: str, *, kind: TokenType = "access", now: float | None = None) -> dict[str, Any]:
    """Verify signature, type and expiry; return the payload or raise TokenError.

    The checks run in jsonwebtoken's order, so each bad token fails with the message the real
    service's library would give it.
    """
    if not token:
        raise TokenError("jwt must be provided")
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("jwt malformed")
    header_b64, payload_b64, signature_b64 = parts
    if not _JWS.fullmatch(token):
        raise TokenError("invalid token")
    try:
        header = json.loads(_b64decode(header_b64))
        payload = json.loads(_b64decode(payload_b64))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("invalid token") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise TokenError("invalid token")
    if not signature_b64.strip():
        raise TokenError("jwt signature is required")
    if header.get("alg") != "HS256":
        raise TokenError("invalid algorithm")
    signing_input = f"{header_b64}.{payload_b64}".encode("ascii", "replace")
    expected = hmac.new(_secret(kind), signing_input, hashlib.sha256).digest()
    try:
        signature = _b64decode(signature_b64)
    except ValueError as exc:
        raise TokenError("invalid signature") from exc
    if not hmac.compare_digest(signature, expected):
        raise TokenError("invalid signature")
    if payload.get("type") != kind:
        raise TokenError("invalid signature")
    exp = payload.get("exp")
    current = time.time() if now is None else now
    if not isinstance(exp, int | float) or exp <= current:
        raise TokenError("jwt expired")
    return payload
