"""The MBOM routes of the products API: the document (CycloneDX or SPDX, chosen by ``?format=``, which is also
DRF's renderer override, so each format is a renderer) and the list of versions."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer


class _DocumentRenderer(BaseRenderer):
    """Passes a rendered MBOM through as it is; an error (a dict) becomes JSON."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class CycloneDxRenderer(_DocumentRenderer):
    media_type = "application/vnd.cyclonedx+json"
    format = "cyclonedx"


class SpdxRenderer(_DocumentRenderer):
    media_type = "application/spdx+json"
    format = "spdx"


class JsonDocumentRenderer(_DocumentRenderer):
    """For clients that accept only ``application/json``: the document they asked for, as JSON."""

    media_type = "application/json"
    format = "json"


RENDERERS = [CycloneDxRenderer, SpdxRenderer, JsonDocumentRenderer]

MBOM_SCHEMA = extend_schema(
    summary="The product's Model Bill of Materials",
    parameters=[
        OpenApiParameter(
            "format",
            str,
            enum=["cyclonedx", "spdx"],
            description="cyclonedx (default): CycloneDX ML-BOM JSON; spdx: SPDX 3.0.1 JSON-LD.",
        ),
        OpenApiParameter("spec", str, enum=["1.6", "1.7"], description="The CycloneDX version (default 1.6)."),
        OpenApiParameter("rating", bool, description="Add the current ratings and their factors."),
    ],
    responses={
        (200, "application/vnd.cyclonedx+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="CycloneDX"),
        (200, "application/spdx+json"): OpenApiResponse(OpenApiTypes.OBJECT, description="SPDX 3.0.1 JSON-LD"),
        (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="Either, as plain JSON"),
    },
)
