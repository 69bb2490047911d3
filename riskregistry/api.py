"""The one router of the REST API (/api/v1/): every app's routes, flat kebab-case URLs."""

from rest_framework import routers
from rest_framework.permissions import IsAuthenticated

from assessments.api.urls import ROUTES as ASSESSMENTS_ROUTES
from reports.api.urls import ROUTES as REPORTS_ROUTES
from vendors.api.urls import ROUTES as VENDORS_ROUTES
from webhooks.api.urls import ROUTES as WEBHOOKS_ROUTES


class Router(routers.DefaultRouter):
    class APIRootView(routers.APIRootView):
        """The API's resources. Send an API key as `Authorization: Bearer <key>`; the schema is at /api/schema/."""

        permission_classes = [IsAuthenticated]


router = Router(trailing_slash=True)
for prefix, viewset, basename in (*VENDORS_ROUTES, *ASSESSMENTS_ROUTES, *REPORTS_ROUTES, *WEBHOOKS_ROUTES):
    router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
