"""The knowledge base seen by analysts: what still needs a publisher."""

from django.views.generic import TemplateView

from vendors import selectors
from vendors.views.base import Guarded


class UnknownPublishersView(Guarded, TemplateView):
    permission_required = "vendors.view_publisher"
    template_name = "vendors/unknown_publishers.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "orgs": selectors.unknown_publishers()}
