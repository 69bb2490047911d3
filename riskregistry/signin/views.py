"""The sign-in page (password, and single sign-on when configured) and the two-factor pages."""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskregistry.signin import oidc_config, qr, selectors, two_factor
from riskregistry.signin.forms import CodeForm, EnrolCodeForm, RemoveDevicesForm, SignInForm

_ENROL_SESSION_KEY = "two_factor_enrol_device"
REMOVE_PERMISSION = "otp_totp.delete_totpdevice"


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = SignInForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_enabled": oidc_config.sso_enabled(),
            "sso_provider_name": settings.OIDC_PROVIDER_NAME,
        }


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: "-15" or "home" would be taken for a URL name by redirect() and fail.
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET"])
def two_factor_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/two_factor.html",
        {
            "status": selectors.two_factor_status(user=request.user),
            "required": settings.REQUIRE_ADMIN_2FA and two_factor.is_admin(request.user),
            "events": selectors.security_events_for(user=request.user),
            "can_manage": request.user.has_perm(REMOVE_PERMISSION),
        },
    )


@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code and the secret, then one code from the app confirms it. Replacing an
    authenticator needs a session that gave a code already."""
    user = request.user
    if two_factor.has_two_factor(user) and not user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor_setup')}")
    device = TOTPDevice.objects.filter(
        pk=request.session.get(_ENROL_SESSION_KEY) or 0, user=user, confirmed=False
    ).first()
    if device is None:
        device = two_factor.totp_enrol_start(user=user)
        request.session[_ENROL_SESSION_KEY] = device.pk
    form = EnrolCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_enrol_confirm(device=device, token=form.cleaned_data["token"], request=request)
        except ValidationError as error:
            form.add_error("token", error.message_dict.get("token", error.messages))
        else:
            request.session.pop(_ENROL_SESSION_KEY, None)
            device.refresh_from_db()
            django_otp.login(request, device)
            request.session[two_factor.SESSION_KEY] = "verify"
            messages.success(request, "Two-factor sign-in is on: each sign-in now asks for a code from your app.")
            return render(
                request, "registration/two_factor_backup_codes.html", {"codes": codes, "next": _next_url(request)}
            )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr.qr_svg(device.config_url, title="QR code to scan with an authenticator app"),
            "secret": qr.secret_for_manual_entry(device.bin_key),
            "required": settings.REQUIRE_ADMIN_2FA and two_factor.is_admin(user),
            "next": request.GET.get("next", ""),
        },
    )


@require_POST
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    if not two_factor.has_two_factor(request.user) or not request.user.is_verified():
        raise PermissionDenied("Set up two-factor sign-in first.")
    codes = two_factor.backup_codes_generate(user=request.user, request=request)
    return render(request, "registration/two_factor_backup_codes.html", {"codes": codes, "next": reverse("two_factor")})


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a sign-in: a code from the authenticator app or a backup code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not two_factor.has_two_factor(user):  # an admin lifted the device meanwhile
        request.session[two_factor.SESSION_KEY] = two_factor.two_factor_due(user)
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = two_factor.two_factor_check(user=user, token=form.cleaned_data["token"], request=request)
        if check.device is not None:
            django_otp.login(request, check.device)
            return redirect(_next_url(request))
        if check.wait_seconds:
            form.add_error("token", f"Too many wrong codes: wait {check.wait_seconds} seconds, then try again.")
        else:
            form.add_error("token", "That code is not right.")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)})


def _require_manager(request: HttpRequest) -> None:
    if not request.user.has_perm(REMOVE_PERMISSION):
        raise PermissionDenied("Only administrators manage others' two-factor devices.")


@require_http_methods(["GET"])
def two_factor_users(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    return render(request, "registration/two_factor_users.html", {"users": selectors.two_factor_users()})


@require_http_methods(["GET", "POST"])
def two_factor_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_manager(request)
    target = get_object_or_404(User, pk=user_id)
    form = RemoveDevicesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_remove(
                user=target, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Two-factor devices of {target.get_username()} removed; the audit trail keeps it."
            )
            return redirect("two_factor_users")
    return render(request, "registration/two_factor_remove.html", {"target": target, "form": form})
