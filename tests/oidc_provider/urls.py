from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.oidc_provider import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view()),
    path("test-admin/users/<str:username>/", views.user_put),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
