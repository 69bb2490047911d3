"""REST API viewsets for assessments: ratings with their history, findings and their workflow, exposure (the
blast radius) and the scoring policy's versions. Thin doors over the selectors, FilterSets and services."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action

from assessments import filters, selectors, services
from assessments.api import serializers as s
from riskregistry.api_auth import needs
from riskregistry.api_base import RegistryViewSet

_READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
_CHANGE_FINDING = needs("assessments.change_finding")


class RiskRatingViewSet(*_READ, RegistryViewSet):
    """Rating snapshots with every factor. ``current=true`` gives each usage's rating in force; ``usage=ID``
    its history (newest first)."""

    selector = staticmethod(selectors.risk_rating_queryset)
    serializer_class = s.RiskRatingSerializer
    filterset_class = filters.RiskRatingFilterSet


class FindingViewSet(*_READ, mixins.UpdateModelMixin, RegistryViewSet):
    """Findings and their workflow: owner and due date (PATCH, which says which version it changes), risk
    acceptance, revocation, resolution (each refused with 409 if an ``If-Match`` sent is no longer current)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    versioned = True
    selector = staticmethod(selectors.finding_queryset)
    list_selector = staticmethod(selectors.finding_list_queryset)
    serializer_class = s.FindingSerializer
    filterset_class = filters.FindingFilterSet

    @extend_schema(request=s.FindingUpdateSerializer, responses={200: s.FindingSerializer})
    def partial_update(self, request, *args, **kwargs):
        finding = self.get_object()
        based_on = self.based_on()
        data = s.FindingUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sent = {k: v for k, v in data.validated_data.items() if k != "version"}
        values = {"owner": finding.owner, "due_date": finding.due_date, **sent}
        return self.respond(services.finding_update(finding=finding, **values, by=request.user, based_on=based_on))

    def action_based_on(self) -> str | None:
        """An action (POST) may say which version it acts on with ``If-Match``: then a stale one is refused."""
        return self.based_on() if "If-Match" in self.request.headers else None

    @extend_schema(request=s.FindingAcceptSerializer, responses={200: s.FindingSerializer})
    @action(detail=True, methods=["post"], permission_classes=[_CHANGE_FINDING])
    def accept(self, request, pk=None):
        """Accept the risk until a date, with a justification: the factor stops counting while valid."""
        data = s.FindingAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = self.get_object()
        return self.respond(
            services.finding_accept(
                finding=finding, **data.validated_data, by=request.user, based_on=self.action_based_on()
            )
        )

    @extend_schema(request=None, responses={200: s.FindingSerializer})
    @action(detail=True, methods=["post"], url_path="approve-acceptance", permission_classes=[_CHANGE_FINDING])
    def approve_acceptance(self, request, pk=None):
        """Approve a risk acceptance waiting for its second approver (someone other than who asked for it, whose
        role the policy allows to approve): from then on the factor stops counting. Send the version you read as
        `If-Match` to have the approval refused (409) if the request changed meanwhile."""
        finding = self.get_object()
        return self.respond(
            services.finding_acceptance_approve(finding=finding, by=request.user, based_on=self.action_based_on())
        )

    @extend_schema(request=None, responses={200: s.FindingSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-acceptance", permission_classes=[_CHANGE_FINDING])
    def revoke_acceptance(self, request, pk=None):
        """Withdraw a risk acceptance, in force or waiting for approval: the finding is open again."""
        finding = self.get_object()
        return self.respond(
            services.finding_acceptance_revoke(finding=finding, by=request.user, based_on=self.action_based_on())
        )

    @extend_schema(request=s.FindingResolveSerializer, responses={200: s.FindingSerializer})
    @action(detail=True, methods=["post"], permission_classes=[_CHANGE_FINDING])
    def resolve(self, request, pk=None):
        """Mark remediated or closed, once the factor has left the usage's current rating."""
        data = s.FindingResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = self.get_object()
        return self.respond(
            services.finding_resolve(
                finding=finding, **data.validated_data, by=request.user, based_on=self.action_based_on()
            )
        )


class ExposureViewSet(mixins.ListModelMixin, RegistryViewSet):
    """The blast radius: model usages of active products (``include_retired`` for all) that depend on a
    publisher, model, root model, origin country or licence anywhere in their lineage, with the matching paths."""

    selector = staticmethod(
        lambda: selectors.model_usage_rated_queryset().order_by(
            "product__vendor__name", "product__name", "model__name", "pk"
        )
    )
    serializer_class = s.ExposureSerializer
    filterset_class = filters.ExposureFilterSet
    versioned = True  # read-only here; its rows are model usages, shown with their version

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "matches": getattr(self, "_matches", {})}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            self._matches = self._matches_of(page)
        return page

    def csv_context(self, chunk):
        return {**super().csv_context(chunk), "matches": self._matches_of(chunk)}

    def _matches_of(self, usages) -> dict:
        filterset = self.filter_backends[0]().get_filterset(self.request, self.get_queryset(), self)
        criteria = filterset.lineage_criteria() if filterset is not None else None
        return selectors.exposure_matches([u.pk for u in usages], criteria) if criteria is not None else {}


class PolicyVersionViewSet(*_READ, RegistryViewSet):
    """The scoring policy's versions, newest first; the newest is in force."""

    selector = staticmethod(selectors.policy_version_queryset)
    serializer_class = s.PolicyVersionSerializer
    lookup_field = "version"
    lookup_value_regex = r"\d+"


class AttestationRequestViewSet(*_READ, RegistryViewSet):
    """Attestation requests with their claims and, once signed, the attestation (read-only: requests are made on
    the pages or with ``attestation_request``, signatures come from the vendor portal)."""

    selector = staticmethod(selectors.attestation_request_queryset)
    serializer_class = s.AttestationRequestSerializer
    filterset_class = filters.AttestationRequestFilterSet
