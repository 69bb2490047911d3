"""The knowledge base seen by analysts: what still needs a publisher."""

from django.views.generic import TemplateView

from riskregistry import spreadsheets
from vendors import selectors
from vendors.views.base import Guarded


class UnknownPublishersView(Guarded, TemplateView):
    permission_required = "vendors.view_publisher"
    template_name = "vendors/unknown_publishers.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":  # the review queue, to share with whoever identifies them
            header = ["org", "model_count", "used_directly", "examples"]
            rows = (
                [o.org, o.model_count, o.used_directly, spreadsheets.LIST_SEPARATOR.join(o.examples)]
                for o in selectors.unknown_publishers()
            )
            return spreadsheets.csv_response(header, rows, "publishers-to-identify.csv")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "orgs": selectors.unknown_publishers(), "csv_url": "?format=csv"}
