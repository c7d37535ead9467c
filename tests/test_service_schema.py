"""Property-based tests from the service's own OpenAPI document: schemathesis generates requests for every
operation (a bounded number each) against a live ``summarizer serve``, and none may get a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, settings  # noqa: E402

from tests.api_server import ApiServer, service_env  # noqa: E402

EXAMPLES = 12


@pytest.fixture(scope="module")
def live_schema(tmp_path_factory):
    home = tmp_path_factory.mktemp("service-schema") / "home"
    server = ApiServer(service_env(home, SUMMARIZER_SERVICE_DEFAULT_WAIT="0")).start()
    try:
        yield schemathesis.openapi.from_url(server.url + "/openapi.json")
    finally:
        server.stop()


schema = schemathesis.pytest.from_fixture("live_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_schema_allows_gets_a_server_error(case):
    response = case.call(timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
    if response.status_code >= 400:
        kind = response.headers.get("content-type")
        assert (kind[0] if isinstance(kind, list) else kind) == "application/problem+json", response.text[:300]
        assert response.json()["detail"]
