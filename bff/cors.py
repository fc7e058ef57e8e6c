"""Cross-origin access for browser frontends, as configuration (``BFF_CORS_ORIGINS``).

A page served from another origin (a dev server on ``http://localhost:5173``, an app on
``https://app.example.com``) may read the BFF's answers only if they say so. The rules here:

* Origins are listed exactly; the request's ``Origin`` is compared as a whole string. An origin
  not listed gets **no** CORS header at all, so the browser blocks the read: never an echo of
  whatever ``Origin`` came in, never a ``*`` it did not configure.
* ``*`` (configured alone) allows any origin without credentials, answered as a literal ``*``.
  Credentials (cookies, HTTP authentication) are allowed only with explicit origins, checked at
  startup. The screens authenticate with a bearer token in ``Authorization``, which needs no
  credentials mode, only the header allowed in the preflight.
* Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) from a listed origin answer
  204 with the methods and request headers the BFF honours, cached by the browser for
  ``BFF_CORS_MAX_AGE``; from any other origin, a 403 problem without CORS headers.
* The headers a frontend reads are exposed (``X-Request-ID``, ``X-BFF-Partial``,
  ``Server-Timing``, ``Cache-Status``, ``ETag``, ``Retry-After``), and ``Timing-Allow-Origin``
  lets the page's Resource Timing see ``Server-Timing`` at all.
* ``Vary: Origin`` is on every response once origins are listed, whether or not the request
  had an ``Origin``: the CORS headers depend on it, and the screens are cacheable, so a shared
  cache must never hand one origin's answer (or an answer without CORS headers) to another.

Starlette's ``CORSMiddleware`` (1.x) was the starting point, but it adds ``Access-Control-
Expose-Headers`` (and ``-Allow-Credentials``) to answers for origins it refuses, adds ``Vary:
Origin`` only to requests that carry an ``Origin`` (so a shared cache may hand an answer fetched
without one to a page that needs the CORS headers), and knows no ``Timing-Allow-Origin``. Hence
this small pure ASGI middleware.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bff.errors import problem
from bff.settings import Settings

EXPOSED_HEADERS = (
    "X-Request-ID",
    "X-BFF-Partial",
    "Server-Timing",
    "Cache-Status",
    "ETag",
    "Retry-After",
)
"""Response headers a page's script may read beyond the CORS-safelisted ones."""

ALLOWED_METHODS = ("GET", "HEAD", "POST")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-None-Match",
    "X-Request-ID",
    "X-Request-Timeout",
)
"""Request headers a page may send: the bearer token, JSON bodies, revalidation, and the two
headers the BFF honours (``bff/observability.py``)."""


@dataclass(frozen=True, slots=True)
class CORSPolicy:
    origins: frozenset[str]
    any_origin: bool = False
    allow_credentials: bool = False
    max_age: int = 600

    @classmethod
    def from_settings(cls, settings: Settings) -> CORSPolicy:
        any_origin = settings.cors_origins == ("*",)
        return cls(
            origins=frozenset(() if any_origin else settings.cors_origins),
            any_origin=any_origin,
            allow_credentials=settings.cors_allow_credentials and not any_origin,
            max_age=settings.cors_max_age,
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for this request's origin, or None."""
        if origin is None:
            return None
        if self.any_origin:
            return "*"
        return origin if origin in self.origins else None

    def response_headers(self, allowed: str) -> dict[str, str]:
        headers = {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS),
            "Timing-Allow-Origin": allowed,
        }
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def preflight_headers(self, allowed: str) -> dict[str, str]:
        headers = {
            "Access-Control-Allow-Origin": allowed,
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(self.max_age),
        }
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class CORSMiddleware:
    """Applies a `CORSPolicy` to every HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp, policy: CORSPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        allowed = self.policy.allowed_origin(origin)
        if (
            scope["method"] == "OPTIONS"
            and origin is not None
            and "access-control-request-method" in headers
        ):
            await self._preflight(scope, receive, send, allowed)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if not self.policy.any_origin:
                    response_headers.add_vary_header("Origin")
                if allowed is not None:
                    response_headers.update(self.policy.response_headers(allowed))
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, allowed: str | None
    ) -> None:
        response: Response
        if allowed is None:
            response = problem(
                Request(scope),
                403,
                "This origin may not call the BFF from a browser (see BFF_CORS_ORIGINS).",
                code="cors-origin",
                headers={"Vary": _PREFLIGHT_VARY},
            )
        else:
            response = Response(
                status_code=204,
                headers={**self.policy.preflight_headers(allowed), "Vary": _PREFLIGHT_VARY},
            )
        await response(scope, receive, send)
