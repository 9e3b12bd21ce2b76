"""The OpenAPI document's settings: /schema, with the two ways callers authenticate."""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="edgefleet",
        version="0.1.0",
        path="/schema",
        components=Components(
            security_schemes={
                "bearerAuth": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                "deviceCredential": SecurityScheme(
                    type="http", scheme="bearer", description="<device_id>.<secret> from enrolment"
                ),
            }
        ),
    )
