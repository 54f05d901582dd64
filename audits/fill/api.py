"""JSON API for the photos attached to answers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from app.orgs.models import Role
from app.tenancy import Tenant, require_role
from audits.deps import ShopDep
from audits.fill.routes import photo_upload
from audits.photos import services as photos

router = APIRouter(tags=["shops"])

ShopperDep = Annotated[Tenant, Depends(require_role(Role.shopper))]


class PhotoPublic(BaseModel):
    id: uuid.UUID
    answer_id: uuid.UUID
    url: str
    content_type: str
    width: int
    height: int
    bytes: int


@router.post(
    "/shops/{shop_id}/answers/{answer_id}/photos",
    status_code=201,
    response_model=PhotoPublic,
    responses={
        200: {
            "description": "A photo with this `id` was already stored for this answer "
            "(a resend): that photo, nothing new stored",
            "model": PhotoPublic,
        },
        400: {"description": "Not a JPEG, PNG or WebP image, already 3 photos, or a bad `id`"},
        404: {"description": "No such shop or answer (or not yours)"},
        409: {"description": "The `id` belongs to another photo"},
        413: {"description": "Larger than 10 MB"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["photo"],
                        "properties": {
                            "photo": {"type": "string", "format": "binary"},
                            "id": {
                                "type": "string",
                                "format": "uuid",
                                "description": "Optional id made by the client; resending "
                                "with the same id never stores the photo twice",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def photo_add(
    request: Request, tenant: ShopperDep, shop: ShopDep, answer_id: uuid.UUID
) -> JSONResponse:
    """Attach a photo to an answer: checked by content, resized to 1600 px, EXIF/GPS removed.

    Send your own `id` (a UUID) to make the upload safe to retry after a lost response.
    """
    return await photo_upload(request, tenant, shop, answer_id)


@router.delete(
    "/shops/{shop_id}/photos/{photo_id}",
    status_code=204,
    responses={
        204: {"description": "Removed, or already gone (safe to repeat)"},
        400: {"description": "The shop has been handed in: its photos can no longer change"},
        404: {"description": "No such shop, or a photo of another shop (or not yours)"},
    },
)
def photo_delete(
    request: Request, tenant: ShopperDep, shop: ShopDep, photo_id: uuid.UUID
) -> Response:
    """Remove a photo added by mistake from your own open shop."""
    photos.photo_remove(
        session=tenant.session,
        shop=shop,
        actor_id=tenant.user_id,
        photo_id=photo_id,
        data_dir=request.app.state.settings.data_dir,
    )
    return Response(status_code=204)
