"""No lost updates: every edit (a page's form, an API PATCH, a finding's action) says which version of the record it
was based on, and a save based on an older one is refused with what changed meanwhile (who, when, which fields,
their value then and now), leaving nothing half-saved."""

import datetime as dt
import re
import threading
import time
from html import unescape as html_unescape

import pytest
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import Finding
from riskregistry.roles import ADMIN
from riskregistry.versions import StaleVersion, version_of
from tests import factories
from tests.api import build_world, key_client
from vendors import services
from vendors.models import Contact, DataCategory, ModelUsage, Product, Publisher, Vendor

pytestmark = pytest.mark.django_db


def _as(user):
    """Saves made in this block are recorded as ``user``'s, as the request middleware does for a page."""
    from simple_history.models import HistoricalRecords

    class _Request:
        pass

    request = _Request()
    request.user = user
    HistoricalRecords.context.request = request
    return request


@pytest.fixture(autouse=True)
def _no_history_user():
    yield
    from simple_history.models import HistoricalRecords

    if hasattr(HistoricalRecords.context, "request"):
        del HistoricalRecords.context.request


#: A justification as long as the default policy asks for (20 characters).
JUSTIFIED = "A compensating control is in place."


def _finding(usage=None) -> Finding:
    usage = usage or factories.ModelUsageFactory()
    return Finding.objects.create(
        usage=usage,
        code="origin.country_of_concern",
        trigger="critical_factor",
        title="CN ancestor",
        points=40,
        evidence=["Qwen/Qwen2.5-7B"],
    )


# ---------------------------------------------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------------------------------------------
def test_a_stale_vendor_save_is_refused_with_who_changed_what_and_when_and_nothing_is_saved():
    alice = factories.UserFactory(username="alice", role="analyst")
    vendor = factories.VendorFactory(name="Acme AI", tier="medium", website="https://acme.example")
    opened = version_of(vendor)

    _as(alice)
    services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), based_on=opened, tier="high")
    rows = Vendor.history.filter(id=vendor.pk).count()

    with pytest.raises(StaleVersion) as refused:
        services.vendor_update(
            vendor=Vendor.objects.get(pk=vendor.pk), based_on=opened, website="https://bob.example", tier="medium"
        )
    error = refused.value
    assert error.code == "stale" and error.current == version_of(vendor) != opened
    [change] = error.changes
    assert (change.field, change.label, change.then, change.now, change.by) == (
        "tier",
        "Criticality",
        "Moderate",
        "High",
        "alice",
    )
    assert abs(change.at - timezone.now()) < dt.timedelta(minutes=1)
    assert "alice" in error.message and "Criticality: Moderate → High" in error.message
    # Nothing of the refused save: the website and tier are as alice left them, and no history row was added.
    vendor.refresh_from_db()
    assert (vendor.tier, vendor.website) == ("high", "https://acme.example")
    assert Vendor.history.filter(id=vendor.pk).count() == rows

    # Based on the current version, the same save goes through and moves the version on.
    current = version_of(vendor)
    services.vendor_update(vendor=vendor, based_on=current, website="https://bob.example")
    assert version_of(vendor) != current


def test_a_write_around_the_services_still_moves_the_version(client, analyst):
    """A save that keeps history (a worker, a data fix in the shell) makes an open form stale too."""
    vendor = factories.VendorFactory(tier="medium")
    opened = version_of(vendor)
    vendor.tier = "low"
    vendor.save()
    assert version_of(vendor) != opened
    with pytest.raises(StaleVersion) as refused:
        services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), based_on=opened, website="https://x.example")
    [change] = refused.value.changes
    assert (change.field, change.now, change.by) == ("tier", "Low", "the system (an import, a worker or a script)")


def test_without_a_version_the_service_does_not_check_so_imports_keep_working():
    vendor = factories.VendorFactory(tier="medium")
    services.vendor_update(vendor=vendor, tier="high")
    services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), tier="low")
    assert Vendor.objects.get(pk=vendor.pk).tier == "low"


def test_a_record_with_no_history_row_is_at_version_0_until_its_first_save():
    # A bulk write keeps no history: the record has no version row yet.
    [vendor] = Vendor.objects.bulk_create([Vendor(name="Legacy Ltd", country="GB")])
    assert version_of(vendor) == "0"
    services.vendor_update(vendor=vendor, based_on="0", tier="high")
    assert version_of(vendor) != "0"
    with pytest.raises(StaleVersion) as refused:
        services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), based_on="0", tier="low")
    assert refused.value.saves and not refused.value.changes  # no row to compare against: who and when only
    assert Vendor.objects.get(pk=vendor.pk).tier == "high"


def test_an_unknown_version_is_refused():
    vendor = factories.VendorFactory()
    with pytest.raises(StaleVersion):
        services.vendor_update(vendor=vendor, based_on="999999999", tier="high")
    with pytest.raises(StaleVersion):
        services.vendor_update(vendor=vendor, based_on="not-a-version", tier="high")
    assert Vendor.objects.get(pk=vendor.pk).tier != "high"


def _contact_edit(contact, based_on, **values):
    return services.contact_update(contact=Contact.objects.get(pk=contact.pk), based_on=based_on, **values)


def _product_edit(product, based_on, **values):
    return services.product_update(product=Product.objects.get(pk=product.pk), based_on=based_on, **values)


def _usage_edit(usage, based_on, **values):
    usage = ModelUsage.objects.select_related("model").get(pk=usage.pk)
    current = {
        "model_kind": usage.model.kind,
        "model_name": usage.model.name,
        "role": usage.role,
        "host": usage.host,
        "region": usage.region,
        "share": usage.share,
        "notes": usage.notes,
    }
    return services.model_usage_update(usage=usage, based_on=based_on, **{**current, **values})


@pytest.mark.parametrize(
    ("make", "edit", "first", "second", "field", "then", "now"),
    [
        (factories.ContactFactory, _contact_edit, {"role": "CISO"}, {"phone": "+1 555"}, "role", "(empty)", "CISO"),
        (factories.ProductFactory, _product_edit, {"criticality": "critical"}, {"name": "X"}, "criticality", None,
         "Critical"),
        (factories.ModelUsageFactory, _usage_edit, {"notes": "checked"}, {"role": "fallback"}, "notes", "(empty)",
         "checked"),
    ],
)  # fmt: skip
def test_every_portfolio_record_refuses_a_stale_save(make, edit, first, second, field, then, now):
    record = make()
    opened = version_of(record)
    edit(record, opened, **first)
    with pytest.raises(StaleVersion) as refused:
        edit(record, opened, **second)
    change = next(c for c in refused.value.changes if c.field == field)
    assert change.now == now and (then is None or change.then == then)
    fresh = type(record).objects.get(pk=record.pk)
    assert all(getattr(fresh, name) != value for name, value in second.items())  # nothing of the refused save
    edit(record, version_of(record), **second)
    fresh = type(record).objects.get(pk=record.pk)
    assert all(getattr(fresh, name) == value for name, value in {**first, **second}.items())


@pytest.mark.parametrize(
    ("make", "edit", "same"),
    [
        (factories.VendorFactory, lambda r, v, **f: services.vendor_update(vendor=r, based_on=v, **f), "tier"),
        (factories.ContactFactory, _contact_edit, "role"),
        (factories.ProductFactory, _product_edit, "criticality"),
        (factories.ModelUsageFactory, _usage_edit, "notes"),
    ],
)
def test_a_save_that_changes_nothing_leaves_other_editors_current(make, edit, same):
    record = make()
    opened = version_of(record)
    history = record.history.count()
    edit(record, opened, **{same: getattr(record, same)})
    assert record.history.count() == history
    assert version_of(type(record).objects.get(pk=record.pk)) == opened


def test_a_product_shows_its_data_categories_changed_meanwhile():
    product = factories.ProductFactory()
    pii, health = DataCategory.objects.order_by("pk")[:2]
    opened = version_of(product)
    _product_edit(product, opened, data_categories=[pii, health])
    with pytest.raises(StaleVersion) as refused:
        _product_edit(product, opened, name="Renamed")
    [change] = [c for c in refused.value.changes if c.field == "data_categories"]
    assert change.then == "(none)" and change.now == ", ".join(sorted([str(pii), str(health)]))
    assert Product.objects.get(pk=product.pk).name != "Renamed"


def test_a_findings_actions_refuse_a_stale_version():
    finding = _finding()
    owner = factories.UserFactory(username="olga", role="analyst")
    opened = version_of(finding)
    assessment_services.finding_update(finding=finding, owner=owner, due_date=None, based_on=opened)
    until = timezone.now().date() + dt.timedelta(days=10)
    with pytest.raises(StaleVersion) as refused:
        assessment_services.finding_accept(
            finding=Finding.objects.get(pk=finding.pk), justification=JUSTIFIED, accepted_until=until, by=owner,
            based_on=opened,
        )  # fmt: skip
    assert [c.field for c in refused.value.changes] == ["owner"] and refused.value.changes[0].now == "olga"
    assert Finding.objects.get(pk=finding.pk).status == "open"
    with pytest.raises(StaleVersion):
        assessment_services.finding_resolve(
            finding=Finding.objects.get(pk=finding.pk), status="closed", resolution="x", based_on=opened
        )
    requested = assessment_services.finding_accept(
        finding=Finding.objects.get(pk=finding.pk), justification=JUSTIFIED, accepted_until=until, by=owner,
        based_on=version_of(finding),
    )  # fmt: skip
    read = version_of(requested)
    # Meanwhile the request is withdrawn and asked again with another date: the approver read the old one.
    assessment_services.finding_acceptance_revoke(finding=requested, by=owner, based_on=read)
    asked_again = assessment_services.finding_accept(
        finding=Finding.objects.get(pk=finding.pk), justification=JUSTIFIED, accepted_until=until - dt.timedelta(1),
        by=owner, based_on=version_of(finding),
    )  # fmt: skip
    admin = factories.UserFactory(role=ADMIN)
    with pytest.raises(StaleVersion) as refused:
        assessment_services.finding_acceptance_approve(finding=asked_again, by=admin, based_on=read)
    assert "accepted_until" in [c.field for c in refused.value.changes]
    assert Finding.objects.get(pk=finding.pk).acceptance_pending
    accepted = assessment_services.finding_acceptance_approve(
        finding=asked_again, by=admin, based_on=version_of(asked_again)
    )
    with pytest.raises(StaleVersion):
        assessment_services.finding_acceptance_revoke(finding=accepted, based_on=opened)
    assert Finding.objects.get(pk=finding.pk).status == "accepted"


def test_the_check_locks_the_row_it_compares():
    vendor = factories.VendorFactory()
    with CaptureQueriesContext(connection) as queries:
        services.vendor_update(vendor=vendor, based_on=version_of(vendor), tier="high")
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert locks and '"vendors_vendor"' in locks[0]


@pytest.mark.django_db(transaction=True)
def test_two_saves_based_on_the_same_version_at_once_one_wins_the_other_is_refused(postgres):
    """Without the row lock the second save would read the version before the first commits and overwrite it."""
    vendor = factories.VendorFactory(tier="medium")
    opened = version_of(vendor)
    first_saved, outcome = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), based_on=opened, tier="high")
                first_saved.set()
                time.sleep(0.5)  # the second save arrives while this transaction still holds the row
        finally:
            close_old_connections()

    def second():
        first_saved.wait(5)
        try:
            services.vendor_update(vendor=Vendor.objects.get(pk=vendor.pk), based_on=opened, tier="low")
            outcome["second"] = "saved"
        except StaleVersion as error:
            outcome["second"] = error
        finally:
            close_old_connections()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcome["second"], StaleVersion), outcome
    assert [c.field for c in outcome["second"].changes] == ["tier"]
    assert Vendor.objects.get(pk=vendor.pk).tier == "high"


# ---------------------------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------------------------
def _form_data(html: str) -> dict:
    """The values a browser would post from the form with the based_on field (inputs, selects, textareas)."""
    start = html.rindex("<form", 0, html.index('name="based_on"'))
    form = html[start : html.index("</form>", start)]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        default = "on" if 'type="checkbox"' in tag else ""
        data.setdefault(name.group(1), []).append(html_unescape(value.group(1)) if value else default)
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        data[name] = [html_unescape(v) for v in re.findall(r'<option value="([^"]*)"[^>]*selected', body)]
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = [html_unescape(body).strip()]
    return {name: values if len(values) != 1 else values[0] for name, values in data.items()}


def test_a_stale_vendor_form_is_shown_again_with_the_input_kept_and_the_change_explained(client, analyst):
    alice = factories.UserFactory(username="alice", role="analyst")
    vendor = factories.VendorFactory(name="Acme AI", country="US", tier="medium", website="https://acme.example")
    url = f"/vendors/{vendor.pk}/edit/"
    client.force_login(analyst)
    bob_form = _form_data(client.get(url).content.decode())
    assert bob_form["based_on"] == version_of(vendor)

    alice_client = type(client)()
    alice_client.force_login(alice)
    alice_form = _form_data(alice_client.get(url).content.decode())
    assert alice_client.post(url, {**alice_form, "tier": "critical"}).status_code == 302

    response = client.post(url, {**bob_form, "website": "https://bob.example", "description": "Bob's notes"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "was changed by alice" in page and 'id="stale-changes"' in page
    assert re.search(r"<td>Criticality</td><td>Moderate</td><td[^>]*>Critical</td><td>alice</td>", page)
    assert 'value="https://bob.example"' in page and "Bob&#x27;s notes" in page  # nothing typed is lost
    vendor.refresh_from_db()
    assert (vendor.tier, vendor.website) == ("critical", "https://acme.example")  # nothing of bob's was saved

    # The form now carries the current version, and bob's untouched tier took alice's value: saving again keeps both.
    again = _form_data(page)
    assert again["based_on"] == version_of(vendor) and again["tier"] == "critical"
    assert "You had left Criticality as it was" in page
    assert client.post(url, again).status_code == 302
    vendor.refresh_from_db()
    assert (vendor.tier, vendor.website, vendor.description) == ("critical", "https://bob.example", "Bob's notes")


def test_an_edit_form_without_its_version_is_refused(analyst_client):
    vendor = factories.VendorFactory(tier="medium")
    form = _form_data(analyst_client.get(f"/vendors/{vendor.pk}/edit/").content.decode())
    del form["based_on"]
    response = analyst_client.post(f"/vendors/{vendor.pk}/edit/", {**form, "tier": "high"})
    assert response.status_code == 200 and "did not say which version" in response.content.decode()
    assert Vendor.objects.get(pk=vendor.pk).tier == "medium"


@pytest.mark.parametrize("kind", ["contact", "product", "usage"])
def test_every_edit_form_refuses_a_stale_save_and_keeps_the_input(analyst_client, kind):
    """Someone changes one field meanwhile; the user typed into another. Refused, then saved again: both stay."""
    record, url, field, typed, meanwhile = {
        "contact": (factories.ContactFactory(), "/contacts/{}/edit/", "role", "DPO", {"phone": "+44 1"}),
        "product": (factories.ProductFactory(), "/products/{}/edit/", "business_owner", "Priya",
                    {"criticality": "critical"}),
        "usage": (factories.ModelUsageFactory(), "/usages/{}/edit/", "notes", "seen in the contract",
                  {"role": "fallback"}),
    }[kind]  # fmt: skip
    change = {
        "contact": lambda r: services.contact_update(contact=r, **meanwhile),
        "product": lambda r: services.product_update(product=r, **meanwhile),
        "usage": lambda r: _usage_edit(r, None, **meanwhile),
    }[kind]
    url = url.format(record.pk)
    form = _form_data(analyst_client.get(url).content.decode())
    assert form["based_on"] == version_of(record)
    change(type(record).objects.get(pk=record.pk))
    response = analyst_client.post(url, {**form, field: typed})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="stale-changes"' in page and typed in page
    assert getattr(type(record).objects.get(pk=record.pk), field) != typed
    assert analyst_client.post(url, _form_data(page)).status_code == 302
    saved = type(record).objects.get(pk=record.pk)
    assert getattr(saved, field) == typed
    assert all(getattr(saved, name) == value for name, value in meanwhile.items())  # the other change survives


def test_a_stale_finding_action_is_refused_on_its_page(analyst_client, analyst):
    finding = _finding()
    page = analyst_client.get(finding.get_absolute_url()).content.decode()
    opened = re.search(r'id="assign".*?name="based_on" value="(\d+)"', page, re.S).group(1)
    assert opened == version_of(finding)
    assessment_services.finding_update(finding=finding, owner=analyst, due_date=None)
    due = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    response = analyst_client.post(f"/findings/{finding.pk}/edit/", {"owner": "", "due_date": due, "based_on": opened})
    body = response.content.decode()
    assert response.status_code == 200 and "was changed by" in body and 'id="stale-changes"' in body
    assert f'value="{due}"' in body
    assert Finding.objects.get(pk=finding.pk).owner == analyst


def test_a_stale_revocation_is_refused_with_the_change_in_the_message(analyst_client, analyst):
    finding = _finding()
    until = timezone.now().date() + dt.timedelta(days=10)
    factories.finding_accept_approved(finding=finding, justification=JUSTIFIED, accepted_until=until, by=analyst)
    page = analyst_client.get(finding.get_absolute_url()).content.decode()
    opened = re.search(r'id="revoke">.*?name="based_on" value="(\d+)"', page, re.S).group(1)
    assessment_services.finding_update(finding=Finding.objects.get(pk=finding.pk), owner=analyst, due_date=None)
    response = analyst_client.post(f"/findings/{finding.pk}/revoke/", {"based_on": opened}, follow=True)
    assert "was changed by" in response.content.decode() and "Owner: (empty) → ana-analyst" in response.content.decode()
    assert Finding.objects.get(pk=finding.pk).status == "accepted"
    missing = analyst_client.post(f"/findings/{finding.pk}/revoke/", follow=True).content.decode()
    assert "did not say which version" in missing and Finding.objects.get(pk=finding.pk).status == "accepted"


# ---------------------------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def api(analyst):
    return key_client(analyst)


def test_reads_carry_the_version_as_etag_and_field(api):
    world = build_world()
    for url, record in [
        (f"/api/v1/vendors/{world.vendor.pk}/", world.vendor),
        (f"/api/v1/contacts/{world.contact.pk}/", world.contact),
        (f"/api/v1/products/{world.product.pk}/", world.product),
        (f"/api/v1/model-usages/{world.usage.pk}/", world.usage),
        (f"/api/v1/findings/{world.finding.pk}/", world.finding),
    ]:
        response = api.get(url)
        assert response.status_code == 200
        assert response["ETag"] == f'"{version_of(record)}"' and response.json()["version"] == version_of(record)
    listed = api.get("/api/v1/vendors/").json()["results"]
    assert all(row["version"] == version_of(Vendor.objects.get(pk=row["id"])) for row in listed)


def test_a_patch_without_a_version_is_428(api):
    vendor = factories.VendorFactory(tier="medium")
    response = api.patch(f"/api/v1/vendors/{vendor.pk}/", {"tier": "high"}, format="json")
    assert response.status_code == 428
    body = response.json()
    assert body["code"] == "precondition_required" and "If-Match" in body["detail"] and body["fields"] == {}
    assert Vendor.objects.get(pk=vendor.pk).tier == "medium"


def test_a_stale_patch_is_409_with_what_changed(api, analyst):
    alice = factories.UserFactory(username="alice", role="analyst")
    vendor = factories.VendorFactory(tier="medium", website="https://acme.example")
    url = f"/api/v1/vendors/{vendor.pk}/"
    etag = api.get(url)["ETag"]
    assert key_client(alice).patch(url, {"tier": "high"}, format="json", HTTP_IF_MATCH=etag).status_code == 200

    response = api.patch(url, {"website": "https://bob.example"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale" and body["fields"] == {} and "alice" in body["detail"]
    assert body["version"] == version_of(vendor) and response["ETag"] == f'"{body["version"]}"'
    [change] = body["changes"]
    assert {k: change[k] for k in ("field", "label", "then", "now", "by")} == {
        "field": "tier", "label": "Criticality", "then": "Moderate", "now": "High", "by": "alice"
    }  # fmt: skip
    assert change["at"].endswith("Z")
    assert Vendor.objects.get(pk=vendor.pk).website == "https://acme.example"

    # With the current version (If-Match, or the version field) it goes through and answers the next version.
    saved = api.patch(url, {"website": "https://bob.example"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert saved.status_code == 200 and saved["ETag"] == f'"{saved.json()["version"]}"' != response["ETag"]
    again = api.patch(url, {"tier": "low", "version": saved.json()["version"]}, format="json")
    assert again.status_code == 200, again.content
    assert Vendor.objects.get(pk=vendor.pk).tier == "low"
    stale_field = api.patch(url, {"tier": "high", "version": saved.json()["version"]}, format="json")
    assert stale_field.status_code == 409 and stale_field.json()["changes"][0]["field"] == "tier"


@pytest.mark.parametrize(
    ("header", "body", "field"),
    [('"1"', {"version": "2"}, "version"), ("*", {}, "If-Match"), (None, {"version": "abc"}, "version")],
)
def test_a_version_that_cannot_be_read_is_400(api, header, body, field):
    vendor = factories.VendorFactory(tier="medium")
    extra = {"HTTP_IF_MATCH": header} if header else {}
    response = api.patch(f"/api/v1/vendors/{vendor.pk}/", {"tier": "high", **body}, format="json", **extra)
    assert response.status_code == 400 and field in response.json()["fields"]


def test_every_writable_resource_checks_the_version(api):
    world = build_world()
    for url, record, change in [
        (f"/api/v1/contacts/{world.contact.pk}/", world.contact, {"role": "DPO"}),
        (f"/api/v1/products/{world.product.pk}/", world.product, {"business_owner": "Priya"}),
        (f"/api/v1/model-usages/{world.usage.pk}/", world.usage, {"notes": "checked"}),
        (f"/api/v1/findings/{world.finding.pk}/", world.finding, {"due_date": "2030-01-31"}),
    ]:
        etag = api.get(url)["ETag"]
        assert api.patch(url, change, format="json").status_code == 428, url
        assert api.patch(url, change, format="json", HTTP_IF_MATCH=etag).status_code == 200, url
        stale = api.patch(url, change, format="json", HTTP_IF_MATCH=etag)
        assert stale.status_code == 409 and stale.json()["code"] == "stale", url
        saved = api.patch(url, change, format="json", HTTP_IF_MATCH=stale["ETag"])
        assert saved.status_code == 200 and saved.json()["version"] == version_of(record), url


def test_a_finding_action_with_a_stale_if_match_is_refused(api, analyst):
    world = build_world()
    url = f"/api/v1/findings/{world.finding.pk}/"
    etag = api.get(url)["ETag"]
    assessment_services.finding_update(finding=world.finding, owner=analyst, due_date=None)
    until = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    payload = {"justification": "compensating control", "accepted_until": until}
    refused = api.post(url + "accept/", payload, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 409 and refused.json()["changes"][0]["field"] == "owner"
    assert Finding.objects.get(pk=world.finding.pk).status == "open"
    accepted = api.post(url + "accept/", payload, format="json", HTTP_IF_MATCH=refused["ETag"])
    assert accepted.status_code == 200 and accepted["ETag"] == f'"{accepted.json()["version"]}"'


# ---------------------------------------------------------------------------------------------------------------
# The admin (the knowledge base is edited there)
# ---------------------------------------------------------------------------------------------------------------
def _admin_payload(client, url) -> dict:
    page = client.get(url).context
    forms = [page["adminform"].form] + [f for inline in page["inline_admin_formsets"] for f in inline.formset.forms]
    payload = {form.add_prefix(name): form[name].value() for form in forms for name in form.fields}
    for inline in page["inline_admin_formsets"]:
        management = inline.formset.management_form
        payload |= {management.add_prefix(name): value for name, value in management.initial.items()}
    return {name: "" if value is None else value for name, value in payload.items()}


def test_two_admins_editing_one_publisher_the_second_save_is_refused(client):
    publisher = factories.PublisherFactory(name="Qwen", country="CN", legal_entity="Alibaba Cloud")
    url = reverse("admin:vendors_publisher_change", args=[publisher.pk])
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    first, second = _admin_payload(client, url), _admin_payload(client, url)
    assert first["based_on"] == version_of(publisher)
    assert client.post(url, {**first, "country": "SG"}).status_code == 302

    response = client.post(url, {**second, "legal_entity": "Alibaba Group"})
    body = response.content.decode()
    assert response.status_code == 200 and "was changed by root" in body and "Country: China → Singapore" in body
    assert "Alibaba Group" in body  # the input is kept
    assert Publisher.objects.get(pk=publisher.pk).legal_entity == "Alibaba Cloud"
    rebased = response.context["adminform"].form.data
    assert rebased["based_on"] == version_of(publisher)
    assert client.post(url, {**rebased.dict(), "country": "SG"}).status_code == 302
    assert Publisher.objects.values_list("country", "legal_entity").get(pk=publisher.pk) == ("SG", "Alibaba Group")


def test_a_nul_in_a_looked_up_name_is_a_400_not_a_server_error(api):
    world = build_world()
    url = f"/api/v1/model-usages/{world.usage.pk}/"
    payload = {"product": world.product.pk, "model_kind": "declared", "model_name": "Acme internal", "host": "a\x00"}
    created = api.post("/api/v1/model-usages/", payload, format="json")
    assert created.status_code == 400 and "host" in created.json()["fields"]
    patched = api.patch(url, {"host": "a\x00"}, format="json", HTTP_IF_MATCH=api.get(url)["ETag"])
    assert patched.status_code == 400 and "host" in patched.json()["fields"]
    finding = f"/api/v1/findings/{world.finding.pk}/"
    owner = api.patch(finding, {"owner": "x\x00"}, format="json", HTTP_IF_MATCH=api.get(finding)["ETag"])
    assert owner.status_code == 400 and "owner" in owner.json()["fields"]
