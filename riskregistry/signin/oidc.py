"""Single sign-on doors on top of mozilla-django-oidc: its views keep the state, nonce and PKCE verifier of each
sign-in in the session and check them at the callback; the backend below exchanges the code, checks the ID token
(``oidc_config.id_token_claims``), reads the groups claim, brings the local account in line and keeps every
sign-in and every refusal in the audit trail (``SecurityEvent``; django-axes also logs them like password ones)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView
from requests import RequestException

from riskregistry.models import SecurityEvent
from riskregistry.signin import oidc_config
from riskregistry.signin.events import security_event_record
from riskregistry.signin.sso import sso_user_sync

logger = logging.getLogger("riskregistry.security")


class OidcBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of an authorization-code sign-in, and nothing else."""

    def __init__(self, *args, **kwargs):
        # Django makes a backend for every sign-in attempt and every request of a signed-in user: the provider's
        # endpoints are looked up only for a single sign-on, so a provider that is down never holds up the rest.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not oidc_config.sso_enabled():
            return None  # not a single sign-on callback (the password form, an API key)
        self.request = request
        code, state = request.GET.get("code"), request.GET.get("state")
        if not code or not state:
            return None
        try:
            return self._sign_in(code, kwargs["nonce"], kwargs.get("code_verifier"))
        except oidc_config.TokenRefused as error:
            return self._refuse(f"The sign-in was refused: {error}.")
        except (RequestException, SuspiciousOperation, ImproperlyConfigured, ValueError, KeyError) as error:
            logger.warning("Single sign-on failed: %s", error)
            return self._refuse(
                f"{settings.OIDC_PROVIDER_NAME} could not be reached or gave an answer that is not usable."
            )

    def get_user(self, user_id):
        # The library's get_user skips Django's is_active check: a deactivated account's sessions end at once.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def _sign_in(self, code, nonce, code_verifier):
        endpoints = oidc_config.provider_endpoints()
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(self.request, reverse("oidc_authentication_callback")),
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        tokens = self.get_token(payload)
        id_token = tokens.get("id_token")
        if not id_token:
            raise oidc_config.TokenRefused("the provider sent no ID token")
        claims = oidc_config.id_token_claims(id_token, self.retrieve_matching_jwk(id_token), nonce=nonce)
        userinfo = self.get_userinfo(tokens.get("access_token"), id_token, claims)
        if str(userinfo.get("sub")) != str(claims["sub"]):
            raise oidc_config.TokenRefused("the user information is about another subject than the ID token")
        claims = {**claims, **{key: value for key, value in userinfo.items() if key not in ("iss", "aud", "sub")}}
        groups = oidc_config.claim_values(claims, settings.OIDC_GROUPS_CLAIM)
        role = oidc_config.role_for_groups(groups, oidc_config.parse_role_map(settings.OIDC_ROLE_MAP))
        user = sso_user_sync(
            issuer=settings.OIDC_ISSUER,
            claims=claims,
            groups=groups,
            role=role,
            username_claim=settings.OIDC_USERNAME_CLAIM,
        )
        if not user.is_active:
            return self._refuse("This account is disabled here; ask an administrator.", user=user)
        if role is None:
            shown = ", ".join(groups[:10]) or "none"
            return self._refuse(
                f"You are signed in at {settings.OIDC_PROVIDER_NAME}, but none of your groups there ({shown}) gives "
                "a role in riskregistry, so you cannot use it yet. Ask your administrator to add you to one of the "
                "groups that give the viewer, analyst or admin role.",
                user=user,
            )
        security_event_record(
            kind=SecurityEvent.Kind.SSO_SIGN_IN,
            request=self.request,
            user=user,
            detail=f"role {role} from {settings.OIDC_GROUPS_CLAIM} {groups[:20]}",
        )
        return user

    def _refuse(self, reason: str, user=None):
        security_event_record(
            kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED, request=self.request, user=user, detail=reason
        )
        self.request.sso_refusal = reason
        return None


def _require_sso(view):
    def wrapped(request, *args, **kwargs):
        if not oidc_config.sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return view(request, *args, **kwargs)

    return wrapped


@method_decorator([login_not_required, _require_sso], name="dispatch")
class SsoStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the endpoints are looked up in get(), where a failure can be answered

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_config.provider_endpoints().authorization
        except (RequestException, ImproperlyConfigured, ValueError) as error:
            logger.warning("Single sign-on cannot start: %s", error)
            messages.error(request, f"{settings.OIDC_PROVIDER_NAME} cannot be reached just now; try again later.")
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator([login_not_required, _require_sso], name="dispatch")
class SsoCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; a refusal returns to the sign-in page with the reason."""

    def get(self, request):
        if request.GET.get("error"):
            error = request.GET["error"][:100]
            request.sso_refusal = f"{settings.OIDC_PROVIDER_NAME} did not sign you in ({error})."
            security_event_record(
                kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED,
                request=request,
                detail=f"{request.sso_refusal} {request.GET.get('error_description', '')[:300]}",
            )
        try:
            return super().get(request)
        except SuspiciousOperation:
            # A callback whose state this browser never sent: a replay, a forged link or an expired session.
            request.sso_refusal = "This sign-in link is not one this browser started, or it was already used."
            security_event_record(
                kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED, request=request, detail=request.sso_refusal
            )
            return self.login_failure()

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", "")
        if not reason:
            # No sign-in under way in this browser, or django-axes refused the address (it logged that itself).
            reason = f"Signing in with {settings.OIDC_PROVIDER_NAME} did not complete; start again."
            security_event_record(kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED, request=self.request, detail=reason)
        messages.error(self.request, reason)
        return redirect("login")
