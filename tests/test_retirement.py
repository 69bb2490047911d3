"""Nothing erased: a vendor, product or model usage with history is retired (who, when, why), never deleted, on
every path (services, pages, admin, the database itself); only a record nothing depends on is deleted, and the
audit trail says so."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from assessments import services as assessment_services
from assessments.models import Finding, RiskRating
from assessments.selectors import with_worst_rating
from tests import factories
from vendors import services
from vendors.models import ChangeEvent, Contact, ModelUsage, Product, Vendor

pytestmark = pytest.mark.django_db


def _rated_usage(**kwargs) -> ModelUsage:
    """A usage with a rating snapshot and an accepted-risk finding (the records a register must never lose)."""
    usage = factories.ModelUsageFactory(model__kind="declared", model__status="resolved", **kwargs)
    assessment_services.ratings_refresh(usage_ids=[usage.pk])
    assert usage.ratings.exists()
    Finding.objects.create(
        usage=usage,
        code="origin.country_of_concern",
        trigger=Finding.Trigger.CRITICAL_FACTOR,
        title="An ancestor was published from a country of concern",
        status=Finding.Status.ACCEPTED,
        justification="Isolated deployment, reviewed by the CISO",
        accepted_until="2099-12-31",
    )
    return usage


def test_a_usage_with_ratings_and_findings_is_retired_not_deleted(django_capture_on_commit_callbacks, analyst):
    usage = _rated_usage()
    ratings = list(usage.ratings.values_list("pk", "score", "tier"))

    with django_capture_on_commit_callbacks(execute=True):
        removal = services.model_usage_remove(usage=usage, reason="Vendor moved to another model", user=analyst)

    assert removal.retired and removal.kept == {"findings": 1, "risk ratings": 1}
    usage.refresh_from_db()
    assert usage.is_retired and usage.retired_by == analyst
    assert usage.retirement_reason == "Vendor moved to another model"
    assert list(usage.ratings.values_list("pk", "score", "tier")) == ratings  # kept, and nothing new concluded
    finding = usage.findings.get()
    assert finding.status == Finding.Status.CLOSED and "model usage ended" in finding.resolution
    assert finding.justification == "Isolated deployment, reviewed by the CISO"  # why it was accepted survives
    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.USAGE_REMOVED)
    assert event.details["outcome"] == "retired" and event.details["reason"] == "Vendor moved to another model"
    assert usage.history.first().history_change_reason == "Retired: Vendor moved to another model"


def test_the_database_refuses_to_erase_ratings_and_findings():
    usage = _rated_usage()
    with pytest.raises(ProtectedError):
        usage.delete()
    with pytest.raises(ProtectedError):
        ModelUsage.objects.filter(pk=usage.pk).delete()
    assert RiskRating.objects.filter(usage=usage).exists() and Finding.objects.filter(usage=usage).exists()


def test_a_usage_with_no_history_is_deleted_and_the_audit_trail_says_why():
    usage = factories.ModelUsageFactory()  # a hub model not resolved yet: never rated
    pk = usage.pk

    removal = services.model_usage_remove(usage=usage, reason="Typo: wrong model")

    assert removal.outcome == "deleted"
    assert not ModelUsage.objects.filter(pk=pk).exists()
    deleted = ModelUsage.history.get(id=pk, history_type="-")
    assert deleted.history_change_reason == "Deleted: Typo: wrong model"
    assert ChangeEvent.objects.get().details["outcome"] == "deleted"


def test_a_reason_is_required_and_a_refusal_changes_nothing():
    usage = _rated_usage()
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError):
            services.model_usage_remove(usage=usage, reason=reason)
    usage.refresh_from_db()
    assert not usage.is_retired and not ChangeEvent.objects.exists()


def test_an_ended_usage_leaves_the_roll_ups_but_not_the_record(django_capture_on_commit_callbacks):
    usage = _rated_usage()
    product = usage.product
    assert with_worst_rating(Product.objects.filter(pk=product.pk), "model_usages").get().worst_tier != ""

    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_retire(usage=usage, reason="Decommissioned")

    assert with_worst_rating(Product.objects.filter(pk=product.pk), "model_usages").get().worst_tier == ""
    assert with_worst_rating(ModelUsage.objects.filter(pk=usage.pk)).get().worst_tier != ""  # its own record
    with pytest.raises(ValidationError, match="already ended"):
        services.model_usage_retire(usage=usage, reason="Again")


def test_an_ended_usage_cannot_be_edited_but_the_model_can_be_registered_again():
    usage = _rated_usage()
    services.model_usage_retire(usage=usage, reason="Paused")
    with pytest.raises(ValidationError, match="ended on"):
        services.model_usage_update(
            usage=usage, model_kind="declared", model_name="other", role="primary", host=None, region=None,
            share=None,
        )  # fmt: skip

    again = services.model_usage_register(
        product=usage.product, model_kind="declared", model_name=usage.model.name, role=usage.role
    )
    assert again.pk != usage.pk and again.model == usage.model


def test_a_product_with_usages_is_retired_and_its_findings_close(django_capture_on_commit_callbacks, admin_user):
    usage = _rated_usage()
    product = usage.product

    with django_capture_on_commit_callbacks(execute=True):
        removal = services.product_remove(product=product, reason="Contract not renewed", user=admin_user)

    assert removal.retired and removal.kept == {"model usages": 1}
    product.refresh_from_db()
    assert product.status == Product.Status.RETIRED and product.retired_by == admin_user
    assert usage.findings.get().status == Finding.Status.CLOSED
    assert usage.ratings.exists()


def test_a_product_with_nothing_recorded_is_deleted():
    product = factories.ProductFactory()
    pk = product.pk
    assert services.product_remove(product=product, reason="Created twice").outcome == "deleted"
    assert not Product.objects.filter(pk=pk).exists()
    assert Product.history.get(id=pk, history_type="-").history_change_reason == "Deleted: Created twice"


def test_a_product_whose_usage_was_deleted_keeps_the_recorded_change():
    usage = factories.ModelUsageFactory()
    services.model_usage_remove(usage=usage, reason="Typo")
    removal = services.product_remove(product=usage.product, reason="Typo too")
    assert removal.retired and removal.kept == {"change events": 1}


def test_a_vendor_with_products_is_archived_with_its_products(django_capture_on_commit_callbacks, admin_user):
    usage = _rated_usage()
    vendor = usage.product.vendor
    spare = factories.ProductFactory(vendor=vendor)

    with django_capture_on_commit_callbacks(execute=True):
        removal = services.vendor_remove(vendor=vendor, reason="Vendor went out of business", user=admin_user)

    assert removal.retired and removal.kept == {"products": 2}
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ARCHIVED and vendor.retirement_reason == "Vendor went out of business"
    for product in (usage.product, spare):
        product.refresh_from_db()
        assert product.is_retired and product.retirement_reason == "Vendor archived: Vendor went out of business"
    assert usage.findings.get().status == Finding.Status.CLOSED


def test_a_vendor_with_no_products_is_deleted_with_its_contacts():
    contact = factories.ContactFactory()
    assert services.vendor_remove(vendor=contact.vendor, reason="Duplicate entry").outcome == "deleted"
    assert not Vendor.objects.exists() and not Contact.objects.exists()
    assert Contact.history.get(history_type="-").history_change_reason == "Deleted: Vendor deleted: Duplicate entry"


def test_setting_the_status_on_the_edit_form_records_the_retirement(analyst):
    product = factories.ProductFactory()
    services.product_update(product=product, status=Product.Status.RETIRED, user=analyst)
    product.refresh_from_db()
    assert product.is_retired and product.retired_by == analyst
    services.product_update(product=product, status=Product.Status.ACTIVE, user=analyst)
    product.refresh_from_db()
    assert not product.is_retired and product.retirement_reason == ""


# ---------------------------------------------------------------------------------------------------------------
# Pages and the admin
# ---------------------------------------------------------------------------------------------------------------
def test_removing_a_usage_on_its_page_retires_it_and_its_records_stay_readable(client, analyst):
    usage = _rated_usage()
    client.force_login(analyst)

    page = client.get(f"/usages/{usage.pk}/delete/").content.decode()
    assert "will be retired, not deleted" in page and "1 risk ratings" in page and "1 findings" in page
    refused = client.post(f"/usages/{usage.pk}/delete/", {"reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    response = client.post(f"/usages/{usage.pk}/delete/", {"reason": "Replaced by a US model"})
    assert response.status_code == 302

    product_page = client.get(usage.product.get_absolute_url()).content.decode()
    assert "Model usages that ended" in product_page and "Replaced by a US model" in product_page
    usage_page = client.get(reverse("assessments:usage_detail", args=[usage.pk])).content.decode()
    assert "This model usage ended on" in usage_page and "Replaced by a US model" in usage_page
    assert client.get(reverse("assessments:finding_detail", args=[usage.findings.get().pk])).status_code == 200


def test_a_typo_usage_is_deleted_from_its_page(client, analyst):
    usage = factories.ModelUsageFactory()
    client.force_login(analyst)
    assert "Nothing depends on it" in client.get(f"/usages/{usage.pk}/delete/").content.decode()
    client.post(f"/usages/{usage.pk}/delete/", {"reason": "Typo"})
    assert not ModelUsage.objects.filter(model=usage.model).exists()


def test_a_retired_usage_put_back_in_use_counts_and_is_rated_again(django_capture_on_commit_callbacks, analyst):
    usage = _rated_usage()
    product = usage.product
    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_retire(usage=usage, reason="Paused for the pilot")
    with pytest.raises(ValidationError, match="Say why it is back in use"):
        services.model_usage_reinstate(usage=usage, reason=" ")
    ratings = usage.ratings.count()

    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_reinstate(usage=usage, reason="The pilot went to production", user=analyst)

    usage.refresh_from_db()
    assert not usage.is_retired and usage.retired_by is None and usage.retirement_reason == ""
    assert with_worst_rating(Product.objects.filter(pk=product.pk), "model_usages").get().worst_tier != ""
    assert usage.ratings.count() >= ratings  # the old snapshots stay; rating again adds, never replaces
    reasons = list(usage.history.values_list("history_change_reason", flat=True))
    assert reasons[:2] == ["Reinstated: The pilot went to production", "Retired: Paused for the pilot"]
    back = ChangeEvent.objects.filter(product=product, kind=ChangeEvent.Kind.USAGE_ADDED).latest("pk")
    assert back.details["outcome"] == "reinstated" and "again" in back.summary
    with pytest.raises(ValidationError, match="in use already"):
        services.model_usage_reinstate(usage=usage, reason="Twice")


def test_a_usage_of_a_retired_product_waits_for_its_product(admin_user):
    usage = _rated_usage()
    services.product_retire(product=usage.product, reason="Product sunset")
    usage.refresh_from_db()
    services.model_usage_retire(usage=usage, reason="With the product")
    with pytest.raises(ValidationError, match="put the product back in use first"):
        services.model_usage_reinstate(usage=usage, reason="Trying")
    assert ModelUsage.objects.get(pk=usage.pk).is_retired


def test_putting_a_usage_back_in_use_from_its_page(client, analyst, viewer):
    usage = _rated_usage()
    services.model_usage_retire(usage=usage, reason="Paused <b>for now</b>")
    url = reverse("vendors:usage_reinstate", args=[usage.pk])
    client.force_login(viewer)
    assert "Put back in use" not in client.get(reverse("assessments:usage_detail", args=[usage.pk])).content.decode()
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(analyst)
    assert url in client.get(reverse("assessments:usage_detail", args=[usage.pk])).content.decode()
    form = client.get(url).content.decode()
    assert "Paused &lt;b&gt;for now&lt;/b&gt;" in form
    assert client.post(url, {"reason": ""}).status_code == 200
    assert ModelUsage.objects.get(pk=usage.pk).is_retired
    response = client.post(url, {"reason": "Back in production"})
    assert response.status_code == 302 and not ModelUsage.objects.get(pk=usage.pk).is_retired


@pytest.mark.parametrize("path", ["/usages/{u}/delete/", "/products/{p}/delete/", "/vendors/{v}/delete/"])
def test_viewers_get_403_on_every_removal_page(client, viewer, path):
    usage = factories.ModelUsageFactory()
    client.force_login(viewer)
    url = path.format(u=usage.pk, p=usage.product.pk, v=usage.product.vendor.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert ModelUsage.objects.filter(pk=usage.pk, retired_at__isnull=True).exists()


@pytest.mark.parametrize("model", [Vendor, Product, ModelUsage])
def test_the_admin_does_not_delete_vendors_products_or_usages(client, model):
    usage = _rated_usage()
    obj = {Vendor: usage.product.vendor, Product: usage.product, ModelUsage: usage}[model]
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    name = f"admin:vendors_{model._meta.model_name}"

    assert client.get(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403
    assert client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(reverse(f"{name}_changelist"), {"action": "delete_selected", "_selected_action": [obj.pk]})
    assert bulk.status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists() and usage.ratings.exists()
