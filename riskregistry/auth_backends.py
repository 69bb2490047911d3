"""How sign-ins and API keys learn what their user may do: Django's model backend, with the permission set read in
one query instead of two (the user's own permissions and their groups'), since every API request checks it."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, Q, Value
from django.db.models.functions import Concat


class RoleBackend(ModelBackend):
    """``ModelBackend`` whose ``get_all_permissions`` (what ``has_perm`` and ``has_perms`` ask) is one query."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            rows = permissions.order_by().values_list("content_type__app_label", "codename").distinct()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
        return user_obj._perm_cache


def permission_names(user) -> ArraySubquery:
    """The names (``app_label.codename``) of a user's permissions, their own and their groups', as an array
    subquery (PostgreSQL) of the statement that loads the user, e.g. ``OuterRef("owner")`` for an API key's: a
    request then learns what its user may do without a query of its own (``permissions_known``)."""
    rows = Permission.objects.filter(Q(user=user) | Q(group__user=user)).order_by()
    return ArraySubquery(rows.values(qualified=Concat(F("content_type__app_label"), Value("."), F("codename"))))


def permissions_known(user_obj, names: list[str]) -> None:
    """Take ``names`` (read with ``permission_names``) as the user's permission set, as ``RoleBackend`` would read
    it. A superuser's set is every permission: the backend reads that itself."""
    if user_obj.is_active and not user_obj.is_superuser:
        user_obj._perm_cache = set(names)
