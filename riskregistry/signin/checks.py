"""A mistyped single sign-on configuration stops ``manage.py check`` (and every start) with the reason, rather
than the first person who signs in."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from riskregistry.signin import oidc_config


@checks.register(checks.Tags.security)
def oidc_configuration(app_configs=None, **kwargs):
    if not oidc_config.sso_enabled():
        return []
    errors = []
    try:
        if not oidc_config.parse_role_map(settings.OIDC_ROLE_MAP):
            errors.append(
                checks.Warning(
                    "OIDC_ROLE_MAP is empty: every single sign-on will be refused (no group gives a role).",
                    id="riskregistry.W101",
                )
            )
    except ImproperlyConfigured as error:
        errors.append(checks.Error(str(error), id="riskregistry.E101"))
    if not settings.OIDC_RP_CLIENT_SECRET:
        errors.append(checks.Error("OIDC_CLIENT_SECRET is required with OIDC_CLIENT_ID.", id="riskregistry.E102"))
    return errors
