"""At every sign-in (password, single sign-on, the admin's form), note in the session whether a second factor is
owed, so the middleware need not ask the database on every request."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from riskregistry.signin.two_factor import SESSION_KEY, two_factor_due


@receiver(user_logged_in, dispatch_uid="riskregistry.signin.two_factor_due")
def note_two_factor_due(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = two_factor_due(user)
