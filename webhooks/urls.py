from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.EndpointListView.as_view(), name="endpoint_list"),
    path("webhooks/new/", views.EndpointCreateView.as_view(), name="endpoint_create"),
    path("webhooks/<int:pk>/", views.EndpointDetailView.as_view(), name="endpoint_detail"),
    path("webhooks/<int:pk>/edit/", views.EndpointUpdateView.as_view(), name="endpoint_update"),
    path("webhooks/<int:pk>/rotate/", views.EndpointRotateView.as_view(), name="endpoint_rotate"),
    path("webhooks/<int:pk>/test/", views.EndpointTestView.as_view(), name="endpoint_test"),
    path("webhooks/<int:pk>/enable/", views.EndpointEnableView.as_view(), name="endpoint_enable"),
    path("webhooks/<int:pk>/disable/", views.EndpointDisableView.as_view(), name="endpoint_disable"),
    path("webhooks/<int:pk>/delete/", views.EndpointDeleteView.as_view(), name="endpoint_delete"),
    path("webhooks/messages/<int:pk>/resend/", views.MessageResendView.as_view(), name="message_resend"),
]
