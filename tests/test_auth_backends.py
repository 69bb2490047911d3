"""The role backend reads the same permission set as Django's model backend, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from riskregistry.auth_backends import RoleBackend

pytestmark = pytest.mark.django_db


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no permission cache from an earlier read


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_a_role_and_own_permissions_are_read_in_one_query(role):
    user = get_user_model().objects.create_user(username=f"someone-{role}")
    user.groups.add(Group.objects.get(name=role))
    user.user_permissions.add(Permission.objects.get(content_type__app_label="riskregistry", codename="add_apikey"))
    with CaptureQueriesContext(connection) as queries:
        permissions = RoleBackend().get_all_permissions(_fresh(user))
    assert len(queries) == 2  # the user, then their permissions
    assert permissions == ModelBackend().get_all_permissions(_fresh(user))
    assert "riskregistry.add_apikey" in permissions


def test_a_superuser_has_every_permission_and_an_inactive_user_none():
    admin = get_user_model().objects.create_superuser(username="root-user", password="x" * 20)
    assert RoleBackend().get_all_permissions(_fresh(admin)) == ModelBackend().get_all_permissions(_fresh(admin))
    admin.is_active = False
    assert RoleBackend().get_all_permissions(admin) == set()
