"""Two-factor sign-in: a session whose user has an authenticator gives a code before anything else; with
REQUIRE_ADMIN_2FA, an admin without one enrols first. Sessions that owe nothing pay no query."""

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from riskregistry.signin.two_factor import SESSION_KEY, two_factor_due

# What a session that owes its second factor may still open.
_OPEN_PREFIXES = ("/static/", "/healthz", "/accounts/logout/", "/accounts/two-factor/verify/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            due = request.session.get(SESSION_KEY)
            if due is None:  # a session from before two-factor sign-in existed
                due = request.session[SESSION_KEY] = two_factor_due(user)
            target = {"verify": "two_factor_verify", "enrol": "two_factor_setup"}.get(due)
            if target and not self._open(request.path, reverse(target)):
                query = urlencode({"next": request.get_full_path()})
                return HttpResponseRedirect(f"{reverse(target)}?{query}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str, target: str) -> bool:
        return path.startswith((*_OPEN_PREFIXES, target))
