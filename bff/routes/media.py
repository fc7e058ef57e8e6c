"""Streaming routes: pictures passed through byte for byte, and the catalogue as NDJSON.

Neither buffers a body. Pictures come only from the allow-listed media origins (see
``clients/media.py``), through the same call pipeline as every downstream call; the export pages
through the products API as the frontend reads, so a slow reader slows the paging down instead of
filling the BFF's memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import StreamingResponse

from bff.deps import Client, MediaDep, SettingsDep
from bff.errors import BFFError, downstream_http_status
from bff.routes.params import SCREEN_ERRORS, ProductId, UserId
from bff.settings import Settings
from bff.streaming import UpstreamResponse
from clients import DownstreamError, ProductsClient, UsersClient, set_deadline
from clients.media import (
    MediaClient,
    MediaNotFound,
    UnsafeMediaPath,
    is_caller_error,
    media_path_of,
)
from schemas.downstream import ProductList
from schemas.responses import Problem, ProductSummary

router = APIRouter(prefix="/v1", tags=["media"])
logger = logging.getLogger("bff.media")

MEDIA_PREFIX = "/v1/media"
NDJSON = "application/x-ndjson"

_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture's bytes, with the origin's content type and length. Only "
        "`image/*` answers of the origin pass; anything else is a 502.",
        "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
    },
}
_MEDIA_PATH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The media path could leave its media origin."},
    404: {
        "model": Problem,
        "description": "No allow-listed media origin serves this path, or the origin has no "
        "such picture.",
    },
}


async def _open(
    media: MediaClient,
    settings: Settings,
    raw_path: str,
    *,
    query: Mapping[str, str] | None = None,
    from_data: bool,
) -> UpstreamResponse:
    """The open picture as a response. ``from_data``: the path came from a downstream's data
    (a product's thumbnail), so a path the allow-list refuses is the downstream's fault (502);
    otherwise the frontend sent it, and a refused path or an origin's 4xx is the frontend's."""
    try:
        stream = await media.open(raw_path, query=query)
    except (UnsafeMediaPath, MediaNotFound) as exc:
        if from_data:
            raise BFFError(502, f"unusable image URL: {exc}", code="bad-response") from None
        if isinstance(exc, UnsafeMediaPath):
            raise BFFError(400, str(exc), code="unsafe-media-path") from None
        raise BFFError(404, str(exc), code="not-found") from None
    except DownstreamError as exc:
        if not from_data and is_caller_error(exc) and exc.status != 404:
            raise BFFError(
                400, f"the media origin refused the request: {exc.detail}", code="bad-request"
            ) from None
        raise
    return UpstreamResponse(stream, idle_timeout=settings.stream_idle_timeout)


@router.get(
    "/products/{product_id}/image",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_IMAGE},
)
async def get_product_image(
    product_id: ProductId,
    products: Client[ProductsClient],
    media: MediaDep,
    settings: SettingsDep,
    index: Annotated[
        int | None,
        Query(ge=0, le=100, description="Which of the product's images; omit for the thumbnail."),
    ] = None,
) -> UpstreamResponse:
    """A product's thumbnail (or one of its images), streamed from its media origin."""
    product = await products.get(product_id)
    if index is None:
        url = product.thumbnail
    else:
        url = product.images[index] if index < len(product.images) else None
    if not url:
        raise BFFError(404, f"Product {product_id} has no such image.", code="not-found")
    return await _open(media, settings, media_path_of(url), from_data=True)


@router.get(
    "/users/{user_id}/avatar",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_IMAGE},
)
async def get_user_avatar(
    user_id: UserId, users: Client[UsersClient], media: MediaDep, settings: SettingsDep
) -> UpstreamResponse:
    """A user's avatar, streamed from its media origin."""
    user = await users.get(user_id)
    if not user.image:
        raise BFFError(404, f"User {user_id} has no avatar.", code="not-found")
    return await _open(media, settings, media_path_of(user.image), from_data=True)


@router.get(
    "/media/{path:path}",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_MEDIA_PATH_ERRORS, **_IMAGE},
)
async def get_media(
    path: Annotated[
        str,
        Path(
            description="Path of the picture, as found in an image URL of a screen: its first "
            "segment names an allow-listed media origin (`product-images`, `icon` by default).",
            examples=["product-images/beauty/essence-mascara-lash-princess/1.webp"],
        ),
    ],
    request: Request,
    media: MediaDep,
    settings: SettingsDep,
) -> UpstreamResponse:
    """A picture of an allow-listed media origin by its path, e.g. the path of an image URL in
    a screen.

    The path is checked segment by segment as sent: an encoded slash or dot (`%2F`, `%2E`), a dot
    segment, a control character or an absolute URL answers 400; a path under no media origin
    answers 404; neither fetches anything. Characters legal in a path (`'`, `&`, `(`, `,`,
    non-ASCII letters) are passed on percent-encoded. Only the query parameters the origin's
    configuration names are passed on (none by default).
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    raw_path = raw.decode("latin-1").split("?", 1)[0]
    if not raw_path.startswith(MEDIA_PREFIX + "/"):
        raise BFFError(400, "not a media path", code="unsafe-media-path")
    return await _open(
        media,
        settings,
        raw_path[len(MEDIA_PREFIX) :],
        query=request.query_params,
        from_data=False,
    )


def _page_lines(page: ProductList) -> bytes:
    return b"".join(
        ProductSummary.from_downstream(product).model_dump_json(by_alias=True).encode() + b"\n"
        for product in page.products
    )


async def _catalogue(
    products: ProductsClient, first: ProductList, page_size: int, page_timeout: float
) -> AsyncIterator[bytes]:
    page = first
    sent = 0
    while True:
        yield _page_lines(page)
        sent += len(page.products)
        if not page.products or sent >= page.total:
            return
        # A long export outlives any one request deadline: each page gets a fresh budget.
        set_deadline(page_timeout)
        try:
            page = await products.list(limit=page_size, skip=sent, sort_by="id", order="asc")
        except DownstreamError as exc:
            logger.warning("export stopped after %d products: %s %s", sent, exc.code, exc.detail)
            error = {
                "error": {
                    "status": downstream_http_status(exc),
                    "code": exc.code,
                    "downstream": exc.service,
                    "detail": exc.detail,
                    "exported": sent,
                }
            }
            yield json.dumps(error, separators=(",", ":")).encode() + b"\n"
            return


@router.get(
    "/export/products.ndjson",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One product card (ProductSummary) per line. If a downstream fails "
            'mid-export, the last line is `{"error": {...}}` and the stream ends.',
            "content": {NDJSON: {"schema": {"type": "string"}}},
        },
        **SCREEN_ERRORS,
    },
)
async def export_products(
    products: Client[ProductsClient], settings: SettingsDep
) -> StreamingResponse:
    """The whole catalogue as NDJSON, fetched page by page as the frontend reads it."""
    size = settings.export_page_size
    first = await products.list(limit=size, skip=0, sort_by="id", order="asc")
    return StreamingResponse(
        _catalogue(products, first, size, settings.request_timeout), media_type=NDJSON
    )
