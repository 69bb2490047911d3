"""The three roles exist after migrate with the permissions their users need."""

import pytest
from django.contrib.auth.models import Group

from riskregistry.roles import roles_sync

pytestmark = pytest.mark.django_db


def _codenames(role):
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def test_roles_exist_with_their_permissions():
    viewer, analyst, admin = _codenames("viewer"), _codenames("analyst"), _codenames("admin")
    assert {"view_vendor", "view_product", "view_modelusage", "view_aimodel"} <= viewer
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in viewer)
    assert {"add_vendor", "change_vendor", "add_modelusage", "delete_modelusage"} <= analyst
    assert "delete_vendor" not in analyst and "change_publisher" not in analyst
    assert {"delete_vendor", "change_publisher", "change_host", "add_user"} <= admin
    assert viewer < analyst < admin


def test_syncing_again_changes_nothing():
    before = {g.name: _codenames(g.name) for g in Group.objects.all()}
    roles_sync()
    assert {g.name: _codenames(g.name) for g in Group.objects.all()} == before
