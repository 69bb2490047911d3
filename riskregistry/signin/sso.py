"""Writes for single sign-on: the local account behind a provider's subject, created at the first sign-in and
brought in line with the provider's claims (name, e-mail, role from the groups claim) at every sign-in."""

import re
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from riskregistry.models import OidcIdentity
from riskregistry.roles import ADMIN, ROLES

_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def _username_from_claims(claims: dict[str, Any], username_claim: str) -> str:
    wanted = str(claims.get(username_claim) or claims.get("email") or claims["sub"])
    base = _USERNAME_UNSAFE.sub("-", wanted)[:140] or "sso-user"
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


@transaction.atomic
def sso_user_sync(
    *, issuer: str, claims: dict[str, Any], groups: list[str], role: str | None, username_claim: str
) -> User:
    """The user for ``claims['sub']`` at ``issuer``, created if new, with the provider's name and e-mail and
    exactly the role ``role`` (none when None: the groups claim maps to no role). Matched on the issuer and
    subject alone: a local account with the same name or e-mail is never taken over. A provider's user gets no
    password here, is staff only as an admin and never a superuser."""
    identity = (
        OidcIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=str(claims["sub"]))
        .first()
    )
    if identity is None:
        user = User(username=_username_from_claims(claims, username_claim))
        user.set_unusable_password()
        user.save()
        identity = OidcIdentity(user=user, issuer=issuer, subject=str(claims["sub"]))
    user = identity.user
    user.email = str(claims.get("email") or user.email)[:254]
    user.first_name = str(claims.get("given_name") or user.first_name)[:150]
    user.last_name = str(claims.get("family_name") or user.last_name)[:150]
    user.is_staff = role == ADMIN
    user.is_superuser = False
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    identity.groups = groups[:200]
    identity.last_sign_in_at = timezone.now()
    identity.save()
    return user
