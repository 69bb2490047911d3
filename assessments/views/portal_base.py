"""What every vendor-portal page shares, whatever it opens (an assessment, an attestation request).

The portal has no accounts: a link holds a token (``assessments.services.portal``). ``PortalEntryView`` takes
the token once, swaps it for a portal grant in the session (a new session key) and redirects to a clean URL, so
the token never sits in the address bar, the history or a Referer. ``PortalSessionMixin`` guards the pages behind
it: the session must hold a grant for the subject in the URL, and the link behind the grant must still be live
(a reissue, revocation or expiry closes the session's access too). Every response is ``no-store`` and
``no-referrer``; requests are throttled per link and per client address (429).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.decorators import method_decorator
from django.views import View
from django_ratelimit.core import is_ratelimited

from assessments.models import PortalLink
from assessments.services import portal as links

SESSION_KEY = "portal_grants"


def _grant_key(link_model: type[PortalLink], subject_id: int) -> str:
    return f"{link_model._meta.label_lower}:{subject_id}"


def portal_headers(response: HttpResponse, *, referrer: str = "same-origin") -> HttpResponse:
    """Never cached; no Referer leaves the site. The token's own URL answers ``no-referrer``; the clean pages
    after it ``same-origin``, because under ``no-referrer`` browsers send ``Origin: null`` with a form's POST,
    which the CSRF check must refuse."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def portal_error(request, status: int, title: str, message: str) -> HttpResponse:
    body = render_to_string("portal/error.html", {"title": title, "message": message, "status": status}, request)
    return portal_headers(HttpResponse(body, status=status), referrer="no-referrer")


def gone(request, state: str = "") -> HttpResponse:
    why = {
        "superseded": "A newer link to this page was sent; please use the most recent email.",
        "revoked": "This link was withdrawn by the team that sent it.",
        "expired": "This link has expired.",
    }.get(state, "This link no longer works.")
    return portal_error(
        request, 410, "This link no longer works", f"{why} Ask your contact for a new link if you need one."
    )


def not_found(request) -> HttpResponse:
    return portal_error(request, 404, "Page not found", "This link is not valid. Check that it was copied in full.")


def _throttled(request, link_key: str) -> bool:
    by_link = is_ratelimited(
        request, group="portal-link", key=lambda _g, _r: link_key, rate=settings.PORTAL_RATE_PER_LINK, increment=True
    )
    by_address = is_ratelimited(
        request, group="portal-address", key="ip", rate=settings.PORTAL_RATE_PER_ADDRESS, increment=True
    )
    return by_link or by_address


def too_many(request) -> HttpResponse:
    response = portal_error(request, 429, "Too many requests", "Please wait a minute and try again.")
    response["Retry-After"] = "60"
    return response


def portal_grant(request, link: PortalLink) -> None:
    """Give this browser access to the link's subject (and keep any other grants it has)."""
    grants = dict(request.session.get(SESSION_KEY, {}))
    request.session.cycle_key()
    grants[_grant_key(type(link), link.subject_id)] = link.pk
    request.session[SESSION_KEY] = grants
    if not request.user.is_authenticated:
        request.session.set_expiry(settings.PORTAL_SESSION_HOURS * 3600)


@method_decorator(login_not_required, name="dispatch")
class PortalEntryView(View):
    """GET <token>: check the link, grant the session, redirect to ``clean_url(link)``."""

    link_model: type[PortalLink]

    def clean_url(self, link: PortalLink) -> str:
        raise NotImplementedError

    def get(self, request, token: str):
        if _throttled(request, links.token_hash(token) if isinstance(token, str) else "-"):
            return too_many(request)
        try:
            link = links.portal_link_find(link_model=self.link_model, token=token)
        except links.PortalLinkUnknown:
            return not_found(request)
        except links.PortalLinkGone as error:
            return gone(request, error.state)
        links.portal_link_touch(link=link)
        portal_grant(request, link)
        return portal_headers(redirect(self.clean_url(link)), referrer="no-referrer")


@method_decorator(login_not_required, name="dispatch")
class PortalSessionMixin:
    """For a portal page of one subject (``subject_kwarg`` in the URL): sets ``self.link`` and ``self.subject``
    or answers 403 (no grant in this session), 410 (link dead) or 429."""

    link_model: type[PortalLink]
    subject_kwarg = "pk"

    def dispatch(self, request, *args, **kwargs):
        subject_id = kwargs[self.subject_kwarg]
        link_id = request.session.get(SESSION_KEY, {}).get(_grant_key(self.link_model, subject_id))
        if link_id is None:
            return portal_error(
                request, 403, "Open your link again", "This page opens from the link in your email. Use it again."
            )
        link = self.link_model.objects.filter(pk=link_id).select_related(self.link_model.SUBJECT_FIELD).first()
        if link is None or link.subject_id != subject_id:
            return not_found(request)
        if _throttled(request, link.token_hash):
            return too_many(request)
        try:
            self.link = links.portal_link_check(link=link)
        except links.PortalLinkGone as error:
            return gone(request, error.state)
        self.subject = link.subject
        return portal_headers(super().dispatch(request, *args, **kwargs))
