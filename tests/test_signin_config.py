"""The single sign-on configuration read from the environment: the role map, the groups claim, and the checks
that stop a mistyped configuration at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from riskregistry.signin import checks, oidc_config


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("risk-admins=admin, risk-analysts=analyst,risk-readers=viewer",
         {"risk-admins": "admin", "risk-analysts": "analyst", "risk-readers": "viewer"}),
        ("/risk/admins=admin", {"/risk/admins": "admin"}),
        ("a=b=viewer", {"a=b": "viewer"}),  # the last "=" splits
        ('{"CN=Risk Admins,OU=Groups,DC=acme,DC=example": "admin"}',
         {"CN=Risk Admins,OU=Groups,DC=acme,DC=example": "admin"}),
    ],
)  # fmt: skip
def test_the_role_map_reads_pairs_or_json(text, expected):
    assert oidc_config.parse_role_map(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("risk-admins=superuser", "unknown roles"), ("risk-admins", "value=role"), ("{not json", "not valid JSON"),
     ('["admin"]', "JSON object")],
)  # fmt: skip
def test_a_wrong_role_map_is_refused_with_the_reason(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        oidc_config.parse_role_map(text)


@pytest.mark.parametrize(
    ("claims", "name", "values"),
    [
        ({"groups": ["a", "b"]}, "groups", ["a", "b"]),
        ({"groups": "a"}, "groups", ["a"]),
        ({"realm_access": {"roles": ["risk-admins"]}}, "realm_access.roles", ["risk-admins"]),
        ({"groups": [{"nested": 1}, "ok"]}, "groups", ["ok"]),
        ({}, "groups", []),
        ({"groups": None}, "groups", []),
    ],
)
def test_groups_are_read_from_the_claim(claims, name, values):
    assert oidc_config.claim_values(claims, name) == values


def test_the_strongest_mapped_role_wins():
    role_map = {"readers": "viewer", "admins": "admin", "analysts": "analyst"}
    assert oidc_config.role_for_groups(["readers", "admins", "analysts"], role_map) == "admin"
    assert oidc_config.role_for_groups(["readers", "other"], role_map) == "viewer"
    assert oidc_config.role_for_groups(["other"], role_map) is None


def test_the_checks_report_a_mistyped_configuration(settings):
    assert checks.oidc_configuration() == []  # off
    settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID = "https://sso.example/realms/acme", "riskregistry"
    settings.OIDC_RP_CLIENT_SECRET, settings.OIDC_ROLE_MAP = "", "risk-admins=root"
    assert {problem.id for problem in checks.oidc_configuration()} == {"riskregistry.E101", "riskregistry.E102"}
    settings.OIDC_RP_CLIENT_SECRET, settings.OIDC_ROLE_MAP = "s", ""
    assert [problem.id for problem in checks.oidc_configuration()] == ["riskregistry.W101"]
    settings.OIDC_ROLE_MAP = "risk-admins=admin"
    assert checks.oidc_configuration() == []
