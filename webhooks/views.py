"""The webhook pages (admins only): the endpoints, one endpoint with its delivery log, creating and editing one,
rotating its secret (the new one shown once), sending a test event, enabling, disabling, deleting, and trying a
message again. Views validate with the forms, read through the selectors and write through the services."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from vendors.views.base import PAGE_SIZE, FilteredListMixin, Guarded, form_errors_from
from webhooks import selectors, services
from webhooks.filters import WebhookEndpointFilterSet
from webhooks.forms import EndpointForm, RotateForm
from webhooks.models import WebhookEndpoint, WebhookMessage

#: Messages shown on an endpoint's page (the API pages through all of them).
LOG_ROWS = 50


def _secret_page(request, endpoint, secret, *, rotated: bool):
    """The one page that shows a secret: right after creation or rotation. It is not stored in the session."""
    response = render(
        request, "webhooks/endpoint_secret.html", {"endpoint": endpoint, "secret": secret, "rotated": rotated}
    )
    response["Cache-Control"] = "no-store"
    return response


class EndpointListView(Guarded, FilteredListMixin, FilterView):
    permission_required = "webhooks.view_webhookendpoint"
    filterset_class = WebhookEndpointFilterSet
    template_name = "webhooks/endpoint_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.endpoint_queryset()

    def get_context_data(self, **kwargs):
        return super().get_context_data(allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS, **kwargs)


class EndpointCreateView(Guarded, View):
    permission_required = "webhooks.add_webhookendpoint"

    def get(self, request):
        return render(request, "webhooks/endpoint_form.html", {"form": EndpointForm()})

    def post(self, request):
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(**form.cleaned_data, created_by=request.user)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                return _secret_page(request, endpoint, secret, rotated=False)
        return render(request, "webhooks/endpoint_form.html", {"form": form}, status=400)


class EndpointDetailView(Guarded, DetailView):
    permission_required = "webhooks.view_webhookendpoint"
    template_name = "webhooks/endpoint_detail.html"
    context_object_name = "endpoint"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.endpoint_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        log = selectors.message_log_queryset().filter(endpoint=self.object)[:LOG_ROWS]
        return super().get_context_data(
            log=log, rotate_form=RotateForm(initial={"grace_hours": settings.WEBHOOKS_SECRET_GRACE_HOURS}), **kwargs
        )


class EndpointUpdateView(Guarded, View):
    permission_required = "webhooks.change_webhookendpoint"

    def get(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        form = EndpointForm(
            initial={"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
        )
        return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint})

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, "The endpoint was saved.")
                return redirect(endpoint)
        return render(request, "webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint}, status=400)


class EndpointRotateView(Guarded, View):
    permission_required = "webhooks.change_webhookendpoint"

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        form = RotateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the grace period in hours, from 0 to 720.")
            return redirect(endpoint)
        endpoint, secret = services.endpoint_secret_rotate(
            endpoint=endpoint, grace=timedelta(hours=form.cleaned_data["grace_hours"])
        )
        return _secret_page(request, endpoint, secret, rotated=True)


class _EndpointAction(Guarded, View):
    permission_required = "webhooks.change_webhookendpoint"

    def act(self, request, endpoint) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        try:
            messages.success(request, self.act(request, endpoint))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(endpoint)


class EndpointTestView(_EndpointAction):
    def act(self, request, endpoint) -> str:
        services.endpoint_test_send(endpoint=endpoint, by=request.user)
        return "A test event was sent; its delivery shows in the log below (reload the page)."


class EndpointEnableView(_EndpointAction):
    def act(self, request, endpoint) -> str:
        services.endpoint_enable(endpoint=endpoint)
        return "The endpoint is enabled: new events are sent to it."


class EndpointDisableView(_EndpointAction):
    def act(self, request, endpoint) -> str:
        services.endpoint_disable(endpoint=endpoint)
        return "The endpoint is disabled: its pending messages were given up and no new events are sent."


class EndpointDeleteView(Guarded, View):
    permission_required = "webhooks.delete_webhookendpoint"

    def get(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        return render(
            request,
            "confirm_delete.html",
            {"object": endpoint, "object_type": "webhook endpoint", "cancel_url": endpoint.get_absolute_url()},
        )

    def post(self, request, pk):
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        services.endpoint_delete(endpoint=endpoint)
        messages.success(request, f"The endpoint {endpoint.url} was deleted with its delivery log.")
        return redirect("webhooks:endpoint_list")


class MessageResendView(Guarded, View):
    permission_required = "webhooks.change_webhookendpoint"

    def post(self, request, pk):
        message = get_object_or_404(WebhookMessage.objects.select_related("endpoint"), pk=pk)
        try:
            services.message_resend(message=message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{message.message_id} will be sent again.")
        return redirect(message.endpoint)
