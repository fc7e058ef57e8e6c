"""Streaming routes: pictures passed through byte for byte, and the catalogue as NDJSON.

Neither buffers a body. Pictures come from the one configured media origin (see
``clients/media.py``); the export pages through the products API as the frontend reads, so a
slow reader slows the paging down instead of filling the BFF's memory.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import StreamingResponse

from bff.deps import MediaDep, ProductsDep, SettingsDep, UsersDep
from bff.errors import BFFError, downstream_http_status
from bff.routes.params import SCREEN_ERRORS, ProductId, UserId
from bff.streaming import UpstreamResponse
from clients import DownstreamError, ProductsClient, set_deadline
from clients.media import MediaClient, UnsafeMediaPath, media_path, media_path_of
from schemas.downstream import ProductList
from schemas.responses import ProductSummary

router = APIRouter(prefix="/v1", tags=["media"])
logger = logging.getLogger("bff.media")

MEDIA_PREFIX = "/v1/media"
NDJSON = "application/x-ndjson"

_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The picture's bytes, with the origin's content type and length.",
        "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    400: {"description": "The media path could leave the media origin."},
}


def _bad_path(exc: UnsafeMediaPath) -> BFFError:
    return BFFError(400, str(exc), code="unsafe-media-path")


async def _stream(
    media: MediaClient, path: str, params: dict[str, str] | None = None
) -> UpstreamResponse:
    try:
        return UpstreamResponse(await media.open(path, params=params))
    except UnsafeMediaPath as exc:
        raise _bad_path(exc) from None


async def _stream_url(media: MediaClient, url: str) -> UpstreamResponse:
    """Stream an image URL found in downstream data: its path, from the media origin."""
    try:
        path = media_path_of(url)
    except UnsafeMediaPath as exc:
        # The downstream's data is at fault here, not the frontend's request.
        raise BFFError(502, f"unusable image URL: {exc}", code="bad-response") from None
    return await _stream(media, path)


@router.get(
    "/products/{product_id}/image",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_IMAGE},
)
async def get_product_image(
    product_id: ProductId,
    products: ProductsDep,
    media: MediaDep,
    index: Annotated[
        int | None,
        Query(ge=0, le=100, description="Which of the product's images; omit for the thumbnail."),
    ] = None,
) -> UpstreamResponse:
    """A product's thumbnail (or one of its images), streamed from the media origin."""
    product = await products.get(product_id)
    if index is None:
        url = product.thumbnail
    else:
        url = product.images[index] if index < len(product.images) else None
    if not url:
        raise BFFError(404, f"Product {product_id} has no such image.", code="not-found")
    return await _stream_url(media, url)


@router.get(
    "/users/{user_id}/avatar",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_IMAGE},
)
async def get_user_avatar(user_id: UserId, users: UsersDep, media: MediaDep) -> UpstreamResponse:
    """A user's avatar, streamed from the media origin."""
    user = await users.get(user_id)
    if not user.image:
        raise BFFError(404, f"User {user_id} has no avatar.", code="not-found")
    return await _stream_url(media, user.image)


@router.get(
    "/media/{path:path}",
    response_class=UpstreamResponse,
    status_code=200,
    responses={**SCREEN_ERRORS, **_IMAGE},
)
async def get_media(
    path: Annotated[
        str,
        Path(
            description="Path of the picture on the media origin, as found in an image URL.",
            examples=["product-images/beauty/essence-mascara-lash-princess/1.webp"],
        ),
    ],
    request: Request,
    media: MediaDep,
) -> UpstreamResponse:
    """Any picture of the media origin by its path, e.g. the path of an image URL in a screen.

    The path is checked in its raw, still-encoded form: an encoded slash or dot (``%2F``,
    ``%2E``), a dot segment or an absolute URL answers 400 before anything is fetched. The query
    string is passed on (image hosts take sizes there), re-encoded.
    """
    raw: bytes = request.scope.get("raw_path") or request.url.path.encode()
    raw_path = raw.decode("latin-1").split("?", 1)[0]
    if not raw_path.startswith(MEDIA_PREFIX + "/"):
        raise _bad_path(UnsafeMediaPath("not a media path"))
    try:
        checked = media_path(raw_path[len(MEDIA_PREFIX) :])
    except UnsafeMediaPath as exc:
        raise _bad_path(exc) from None
    return await _stream(media, checked, dict(request.query_params))


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
async def export_products(products: ProductsDep, settings: SettingsDep) -> StreamingResponse:
    """The whole catalogue as NDJSON, fetched page by page as the frontend reads it."""
    size = settings.export_page_size
    first = await products.list(limit=size, skip=0, sort_by="id", order="asc")
    return StreamingResponse(
        _catalogue(products, first, size, settings.request_timeout), media_type=NDJSON
    )
