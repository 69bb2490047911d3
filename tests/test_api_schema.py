"""The OpenAPI schema: it builds with no warning and validates (as `manage.py spectacular --validate
--fail-on-warn` in CI), the docs need no CDN, and schemathesis drives the live API from the live schema: no
server error on any generated request, every response as the schema says."""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from riskregistry import services
from riskregistry.wsgi import application
from tests import factories
from tests.api import build_world

pytestmark = pytest.mark.django_db


def test_the_schema_builds_without_a_warning_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "openapi: 3.1.0" in text
    for path in (
        "/api/v1/vendors/",
        "/api/v1/changes/",
        "/api/v1/models/{id}/lineage/",
        "/api/v1/findings/{id}/accept/",
    ):
        assert f"  {path}:" in text, path
    assert "ErrorResponse" in text or "Error:" in text


def test_schema_and_docs_need_a_sign_in_and_the_docs_load_nothing_from_a_cdn(client, viewer):
    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(viewer)
    assert client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs


#: No server error, and every response (status, content type, headers, body) as the schema documents it. Not
#: "schema-valid data is accepted": a syntactically valid id of a vendor that does not exist is a 400 here.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def live_schema(db, settings_override):
    # The app runs in this process, inside the test's transaction: as Django's test client does, keep the
    # connection open at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    build_world()
    user = factories.UserFactory(username="schemathesis", role="admin")
    _, raw = services.api_key_create(owner=user, scope="read-write")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    yield schema, headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def settings_override(settings):
    settings.API_THROTTLE_RATE = "100000/minute"


def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(live_schema):
    schema, headers = live_schema
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
