"""Single sign-on configuration: the provider's endpoints (from its discovery document unless given one by one),
the ID token's checks and the map from the groups claim to the roles.

Pure apart from ``provider_endpoints``, which reads the discovery document once an hour at most.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from riskregistry.roles import ADMIN, ANALYST, ROLES, VIEWER

# When groups map to several roles, the strongest wins.
ROLE_RANK = {VIEWER: 1, ANALYST: 2, ADMIN: 3}
DISCOVERY_CACHE_SECONDS = 3600


class TokenRefused(Exception):
    """The ID token (or the claims that came with it) cannot be trusted; the message says why."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def parse_role_map(text: str) -> dict[str, str]:
    """``OIDC_ROLE_MAP``: a JSON object ``{"claim value": "role"}``, or ``value=role`` pairs separated by commas
    (the last ``=`` splits, so a value may contain ``=``; use JSON for values with commas, such as LDAP DNs)."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith(("{", "[")):
        try:
            pairs = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImproperlyConfigured(f"OIDC_ROLE_MAP is not valid JSON: {error}") from error
        if not isinstance(pairs, dict):
            raise ImproperlyConfigured("OIDC_ROLE_MAP must be a JSON object of claim value to role.")
    else:
        pairs = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            value, sep, role = item.rpartition("=")
            if not sep or not value.strip():
                raise ImproperlyConfigured(f"OIDC_ROLE_MAP: {item!r} is not of the form value=role.")
            pairs[value.strip()] = role.strip()
    unknown = sorted({str(role) for role in pairs.values()} - set(ROLES))
    if unknown:
        raise ImproperlyConfigured(f"OIDC_ROLE_MAP names unknown roles {unknown}; the roles are {', '.join(ROLES)}.")
    return {str(value): str(role) for value, role in pairs.items()}


def claim_values(claims: dict[str, Any], name: str) -> list[str]:
    """The values of the groups claim: a list, one string, or a nested claim named with dots
    (``realm_access.roles`` in Keycloak)."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value if isinstance(item, str | int)]
    return []


def role_for_groups(groups: list[str], role_map: dict[str, str]) -> str | None:
    """The strongest role any of ``groups`` maps to, or None."""
    roles = [role_map[group] for group in groups if group in role_map]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else None


@dataclass(frozen=True)
class ProviderEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str


def provider_endpoints() -> ProviderEndpoints:
    """The endpoints set one by one in the environment, the rest from the issuer's discovery document."""
    given = {
        "authorization": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo": settings.OIDC_OP_USER_ENDPOINT,
        "jwks": settings.OIDC_OP_JWKS_ENDPOINT,
    }
    if all(given.values()):
        return ProviderEndpoints(**given)
    document = discovery_document(
        settings.OIDC_DISCOVERY_URL or f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
    )
    if document.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
        raise ImproperlyConfigured(
            f"The discovery document names the issuer {document.get('issuer')!r}, "
            f"not OIDC_ISSUER {settings.OIDC_ISSUER!r}."
        )
    found = {
        "authorization": document.get("authorization_endpoint", ""),
        "token": document.get("token_endpoint", ""),
        "userinfo": document.get("userinfo_endpoint", ""),
        "jwks": document.get("jwks_uri", ""),
    }
    return ProviderEndpoints(**{key: given[key] or found[key] for key in given})


def discovery_document(url: str) -> dict[str, Any]:
    key = f"oidc-discovery:{url}"
    document = cache.get(key)
    if document is None:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def id_token_claims(token: str, key: Any, *, nonce: str | None, now: float | None = None) -> dict[str, Any]:
    """The claims of a signed ID token once every check of OpenID Connect Core 3.1.3.7 passes: the signature with
    the expected algorithm, the issuer, the audience (and ``azp`` when there are several), the expiry and issue
    time (with ``OIDC_LEEWAY_SECONDS`` of clock skew) and the nonce of this sign-in. TokenRefused otherwise."""
    client_id = settings.OIDC_RP_CLIENT_ID
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[settings.OIDC_RP_SIGN_ALGO],
            audience=client_id,
            issuer=settings.OIDC_ISSUER,
            options={
                "require": ["iss", "sub", "aud", "exp", "iat"],
                "verify_exp": False,  # checked below against ``now``
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidAudienceError as error:
        raise TokenRefused(f"the ID token was issued to another client ({error})") from error
    except jwt.InvalidIssuerError as error:
        raise TokenRefused(f"the ID token comes from another issuer than {settings.OIDC_ISSUER}") from error
    except jwt.PyJWTError as error:
        raise TokenRefused(f"the ID token is invalid ({error})") from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("the ID token names several audiences and is not authorised for this client")
    now = time.time() if now is None else now
    leeway = settings.OIDC_LEEWAY_SECONDS
    if float(claims["exp"]) + leeway < now:
        raise TokenRefused("the ID token has expired")
    if float(claims["iat"]) - leeway > now:
        raise TokenRefused("the ID token was issued in the future")
    if "nbf" in claims and float(claims["nbf"]) - leeway > now:
        raise TokenRefused("the ID token is not valid yet")
    if nonce is None or claims.get("nonce") != nonce:
        raise TokenRefused("the ID token's nonce is not this sign-in's")
    return claims
