"""The three roles, kept as Django groups with model permissions.

Groups are synced after every ``migrate`` (permissions only exist once the apps are migrated), so a new
deployment and every test database get them without a manual step.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

ADMIN = "admin"
ANALYST = "analyst"
VIEWER = "viewer"
ROLES = (ADMIN, ANALYST, VIEWER)

_DOMAIN_APPS = ("vendors", "assessments", "reports")

# The portfolio and the lineage facts analysts maintain day to day.
_ANALYST_EDITS = {
    "vendors": {
        "vendor": ("add", "change"),
        "contact": ("add", "change", "delete"),
        "product": ("add", "change", "delete"),
        "modelusage": ("add", "change", "delete"),
        "aimodel": ("add", "change"),
        "lineageedge": ("add", "change", "delete"),
        "modelfilesupload": ("add",),  # a private model's config files; never changed or deleted
        "changeevent": ("change",),
        "csvimport": ("add", "change"),  # upload a spreadsheet, then apply it
    },
    # Findings are worked by analysts (owner, due date, risk acceptance, resolution); the policy is an admin's.
    "assessments": {
        "finding": ("change",),
        # Analysts ask vendors to attest and withdraw requests; signatures come only from the vendor portal.
        "attestationrequest": ("add", "change"),
        "assessment": ("add", "change"),
        "answer": ("add", "change"),
        "answercomment": ("add",),
        "evidence": ("add", "change"),
    },
    # Anyone may read and download reports; analysts ask for new ones. Reports are never changed or deleted.
    "reports": {
        "report": ("add",),
    },
}


def _view_permissions() -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label__in=_DOMAIN_APPS, codename__startswith="view_"))


def _analyst_permissions() -> list[Permission]:
    wanted = [
        (app, f"{action}_{model}")
        for app, models in _ANALYST_EDITS.items()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = Permission.objects.filter(content_type__app_label__in=_DOMAIN_APPS)
    by_key = {(p.content_type.app_label, p.codename): p for p in permissions.select_related("content_type")}
    return _view_permissions() + [by_key[key] for key in wanted if key in by_key]


def _admin_permissions() -> list[Permission]:
    # Webhook endpoints (their target URLs and secrets) are the admins' alone, and so are sign-in security:
    # lockouts (axes), others' two-factor devices (otp_*) and the sign-in audit trail (riskregistry).
    apps_ = (*_DOMAIN_APPS, "auth", "webhooks", "axes", "otp_totp", "otp_static", "riskregistry")
    return list(Permission.objects.filter(content_type__app_label__in=apps_))


def roles_sync(sender=None, **_kwargs) -> None:
    """Create the role groups and set their permissions exactly (idempotent).

    As a post_migrate receiver it acts once, for the last app, when every app's permissions exist.
    """
    if sender is not None and sender is not list(apps.get_app_configs())[-1]:
        return
    for name, permissions in (
        (ADMIN, _admin_permissions()),
        (ANALYST, _analyst_permissions()),
        (VIEWER, _view_permissions()),
    ):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
