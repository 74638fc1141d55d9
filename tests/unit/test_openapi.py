"""The API contract (producers/openapi.json) and the gateway's routes cannot drift apart."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from aiohttp import web

from producers import update_stream
from producers.gateway import OPENAPI_DOCUMENT, create_app
from scrapestream.config import Settings

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def document() -> dict[str, Any]:
    return json.loads(OPENAPI_DOCUMENT.read_text())


def registered_routes() -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every route the gateway registers (aiohttp's automatic HEAD of a GET
    left out). A static directory would need a path of its own here: the gateway has none."""
    app = create_app(dataclasses.replace(Settings(), gateway_api_keys=("key",)))
    routes = set()
    for resource in app.router.resources():
        assert not isinstance(resource, web.StaticResource), "give the files a documented route instead"
        routes.update((route.method, resource.canonical) for route in resource if route.method != "HEAD")
    return routes


def documented_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_route_is_documented_and_every_documented_path_is_a_route() -> None:
    routes, documented = registered_routes(), documented_operations()
    assert routes - documented == set(), "routes missing from producers/openapi.json"
    assert documented - routes == set(), "documented operations the gateway does not serve"


def test_the_document_is_openapi_3_1_and_every_operation_loads() -> None:
    assert document()["openapi"].startswith("3.1.")
    schema = schemathesis.openapi.from_path(OPENAPI_DOCUMENT)
    operations = [result.ok() for result in schema.get_all_operations()]  # raises on an invalid operation
    assert {(op.method.upper(), op.path) for op in operations} == documented_operations()


@pytest.mark.parametrize("name", sorted(document()["components"]["schemas"]))
def test_every_component_schema_is_valid_json_schema(name: str) -> None:
    components = document()["components"]
    # Resolve the document's own references by validating inside it.
    wrapper = {"$defs": {}, "components": components, "$ref": f"#/components/schemas/{name}"}
    jsonschema_rs.validator_for(wrapper)


def test_every_authenticated_operation_documents_401_and_every_error_is_json() -> None:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("security"):
                assert "401" in responses, f"{method} {path}"
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "$ref" not in response:
                    assert "application/json" in response["content"], f"{method} {path} {status}"


def test_every_5xx_documented_is_a_503_for_a_missing_dependency() -> None:
    statuses = {
        status for item in document()["paths"].values() for op in item.values() for status in op["responses"]
    }
    assert {status for status in statuses if status.startswith("5")} == {"503"}


def test_the_documented_change_pattern_is_the_one_the_gateway_checks() -> None:
    parameters = document()["paths"]["/v1/updates"]["get"]["parameters"]
    change = next(parameter for parameter in parameters if parameter["name"] == "change")
    assert change["schema"]["items"]["pattern"] == update_stream.CHANGE_VALUE.pattern
