"""Who may do what, for the pages that offer people (a finding's owner, an acceptance's second approver) and the
services that check them: users holding a permission through a role (group), directly, or as superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

#: Working a finding: owning it, accepting its risk, resolving it, approving another's acceptance.
WORK_FINDINGS = "assessments.change_finding"


def users_with_permission(permission: str) -> QuerySet:
    """Active users who hold ``permission`` ("app_label.codename"), ordered by username."""
    app_label, codename = permission.split(".", 1)
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__permissions__in=granted) | Q(user_permissions__in=granted))
        .distinct()
        .order_by("username")
    )


def finding_workers() -> QuerySet:
    """The people a finding can be assigned to."""
    return users_with_permission(WORK_FINDINGS)
