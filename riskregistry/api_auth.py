"""How the REST API knows who calls and what they may do: API keys sent as ``Authorization: Bearer <key>``, the
roles' model permissions (reading needs ``view_<model>`` too), read-only keys, and a request budget per key.

DRF loads this module from the settings while it is itself being imported: nothing here imports DRF's views.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions
from rest_framework.throttling import SimpleRateThrottle

from riskregistry.auth_backends import permissions_known
from riskregistry.client_ip import client_ip
from riskregistry.models import ApiKey

#: last_used_at is written at most this often per key, so reading does not mean a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <prefix>.<secret>``: the key's owner, with the key as ``request.auth``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        try:
            key = ApiKey.objects.get_from_key(raw)
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("The API key is not valid or has been revoked.") from None
        if key.has_expired:
            raise exceptions.AuthenticationFailed("The API key has expired.")
        if not key.owner.is_active:
            raise exceptions.AuthenticationFailed("The API key's owner is inactive.")
        names = getattr(key, "owner_permissions", None)
        if names is not None:
            permissions_known(key.owner, names)
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        return key.owner, key

    def authenticate_header(self, request) -> str:
        # Makes a missing or bad key a 401 (with this challenge) rather than a 403.
        return f'{self.keyword} realm="api"'


def _key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class RolePermission(DjangoModelPermissions):
    """The roles' model permissions, reading included (``view_<model>``); a read-scope key never writes."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not _scope_allows(request):
            self.message = "This API key is read-only."
            return False
        return super().has_permission(request, view)

    def _queryset(self, view):
        # Only the model's name matters here: not the list's whole queryset, which the view builds again to read.
        model_of = getattr(view, "permission_model", None)
        return model_of()._default_manager.none() if model_of is not None else super()._queryset(view)


def _scope_allows(request) -> bool:
    key = _key(request)
    return request.method in SAFE_METHODS or key is None or key.can_write


def needs(*permissions: str) -> type[BasePermission]:
    """A permission class for an action: signed in, every named permission, and a key scope that allows it."""

    class Needs(BasePermission):
        message = "You do not have permission to perform this action."

        def has_permission(self, request, view) -> bool:
            if not (request.user and request.user.is_authenticated):
                return False
            if not _scope_allows(request):
                self.message = "This API key is read-only."
                return False
            return request.user.has_perms(permissions)

    Needs.__name__ = f"Needs({', '.join(permissions)})"
    return Needs


class ClientRateThrottle(SimpleRateThrottle):
    """A request budget per API key (per user for sessions, per address otherwise): ``API_THROTTLE_RATE``."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def allow_request(self, request, view):
        # The rate is read per request, so a changed setting applies without a restart (and in tests).
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_ident(self, request) -> str:
        return client_ip(request)  # the same address as sign-in lockouts, behind the declared proxies only

    def get_cache_key(self, request, view) -> str:
        key = _key(request)
        if key is not None:
            ident = f"key:{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
