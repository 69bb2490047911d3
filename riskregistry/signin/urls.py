from django.urls import path

from riskregistry.signin import oidc, views

urlpatterns = [
    path("sso/start/", oidc.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("sso/callback/", oidc.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
    path("two-factor/", views.two_factor_overview, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/backup-codes/", views.two_factor_backup_codes, name="two_factor_backup_codes"),
    path("two-factor/users/", views.two_factor_users, name="two_factor_users"),
    path("two-factor/users/<int:user_id>/remove/", views.two_factor_remove, name="two_factor_remove"),
]
