"""Sign-in relayed to the downstream auth API, and the signed-in user's own screen.

The caller's bearer token is forwarded to the auth API's ``/auth/me`` only: the clients send
to their own configured base URL and nowhere else, so a token cannot be steered elsewhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bff.deps import Client
from bff.errors import BFFError
from bff.fanout import Sections, gather
from bff.http_caching import ScreenRoute
from bff.observability import mark_personal
from bff.routes.params import (
    BODY_TOO_LARGE,
    CALL_OK,
    DOWNSTREAM_FAILURES,
    SCREEN_FAILURES,
    UNAUTHORIZED,
)
from clients import AuthClient, BadRequest, CartsClient, Unauthorized, UsersClient
from clients.errors import DownstreamError
from schemas.responses import (
    CartSummary,
    LoginRequest,
    LoginResponse,
    MeScreen,
    PublicUser,
    RefreshRequest,
    TodoItem,
    TokenPairResponse,
    UserSummary,
)

router = APIRouter(prefix="/v1", tags=["auth"], route_class=ScreenRoute)

_bearer = HTTPBearer(auto_error=False, description="An access token from `POST /v1/auth/login`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
LIST_LIMIT = 10


def _unauthorized(detail: str) -> BFFError:
    return BFFError(401, detail, code="unauthorized", headers=_CHALLENGE)


def _refused_unless_callers_fault(exc: DownstreamError) -> None:
    """A refusal that is not about the caller's credentials is the BFF's problem: re-raised, it
    becomes a 502 (``bff/errors.py``)."""
    if not exc.callers_fault:
        raise exc


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise _unauthorized("A bearer token is required: `Authorization: Bearer <token>`.")
    mark_personal()
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


@router.post(
    "/auth/login",
    responses={**CALL_OK, **UNAUTHORIZED, **BODY_TOO_LARGE, **DOWNSTREAM_FAILURES},
)
async def login(body: LoginRequest, auth: Client[AuthClient]) -> LoginResponse:
    """Exchange a username and password for an access and a refresh token."""
    try:
        result = await auth.login(
            body.username,
            body.password.get_secret_value(),
            expires_in_mins=body.expires_in_mins,
        )
    except (BadRequest, Unauthorized) as exc:
        _refused_unless_callers_fault(exc)
        raise _unauthorized("Invalid username or password.") from None
    return LoginResponse(
        access_token=result.access_token,
        refresh_token=result.refresh_token,
        user=UserSummary(
            id=result.id,
            username=result.username,
            full_name=f"{result.first_name} {result.last_name}",
            image=result.image,
        ),
    )


@router.post(
    "/auth/refresh",
    responses={**CALL_OK, **UNAUTHORIZED, **BODY_TOO_LARGE, **DOWNSTREAM_FAILURES},
)
async def refresh(body: RefreshRequest, auth: Client[AuthClient]) -> TokenPairResponse:
    """Exchange a refresh token for a new token pair."""
    try:
        pair = await auth.refresh(
            body.refresh_token.get_secret_value(), expires_in_mins=body.expires_in_mins
        )
    except (BadRequest, Unauthorized) as exc:
        _refused_unless_callers_fault(exc)
        raise _unauthorized("The refresh token is invalid or expired.") from None
    return TokenPairResponse(access_token=pair.access_token, refresh_token=pair.refresh_token)


@router.get("/me", responses={**UNAUTHORIZED, **SCREEN_FAILURES})
async def get_me(
    token: BearerToken,
    auth: Client[AuthClient],
    users: Client[UsersClient],
    carts: Client[CartsClient],
) -> MeScreen:
    """The signed-in user's page: who the token belongs to, then their carts and todos."""
    sections = Sections("user", "carts", "todos")
    user = await sections.required("user", auth.me(token))
    user_carts, todos = await gather(
        sections.optional("carts", carts.by_user(user.id, limit=LIST_LIMIT)),
        sections.optional("todos", users.todos(user.id, limit=LIST_LIMIT)),
    )
    return MeScreen(
        user=PublicUser.from_downstream(user),
        carts=[CartSummary.from_downstream(c) for c in user_carts.carts] if user_carts else None,
        todos=[TodoItem.from_downstream(t) for t in todos.todos] if todos else None,
        meta=sections.meta(),
    )
