"""Spreadsheet import of vendors, products and model usages: the pure parser and plan (table-driven), the service
applying all or nothing on PostgreSQL, the pages, the API, the command, and the round trip (a download uploaded
again leaves every row alone)."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.urls import reverse

from tests import factories
from tests.api import key_client
from tests.services import tasks_enqueued
from vendors import services
from vendors.csv_import.parse import CsvFileError, parse_csv
from vendors.csv_import.plan import PortfolioState, ProductFact, UsageFact, VendorFact, import_plan
from vendors.models import AIModel, ChangeEvent, CsvImport, LineageRefresh, ModelUsage, Product, Vendor

HEADER = ",".join(
    [
        "vendor", "vendor_country", "vendor_website", "vendor_tier", "product", "product_criticality",
        "product_data_categories", "model_kind", "model", "role", "share", "host", "region",
    ]
)  # fmt: skip


def _parse(text: str, **limits):
    return parse_csv(
        text.encode("utf-8"), max_bytes=limits.get("max_bytes", 100_000), max_rows=limits.get("max_rows", 50)
    )


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# The parser (pure)
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("Acme,US,,,,,,,,,,,", None),
        ("Acme,france,,,,,,,,,,,", None),
        ("Acme,UK,,,,,,,,,,,", None),
        ("Acme,United States,,,,,,,,,,,", None),
        ("Acme,usa,,,,,,,,,,,", None),
        ("Acme,Atlantis,,,,,,,,,,,", "unknown country"),
        (",US,,,,,,,,,,,", "vendor: required"),
        ("Acme,US,not a url,,,,,,,,,,", "not a web address"),
        ("Acme,US,https://acme.example,urgent,,,,,,,,,", "vendor_tier"),
        ("Acme,US,,,Copilot,HIGH,personal; source_code,,,,,,", None),
        ("Acme,US,,,Copilot,,personal; gossip,,,,,,", "unknown gossip"),
        ("Acme,US,,,,high,,,,,,,", "without a product"),
        ("Acme,US,,,Copilot,,,,Qwen/Qwen2.5-7B-Instruct,,,,", None),
        ("Acme,US,,,Copilot,,,,Qwen//Qwen2.5,,,,", "not a valid repository id"),
        ("Acme,US,,,Copilot,,,,org/name--bad,,,,", "not a valid repository id"),
        ("Acme,US,,,Copilot,,,closed,gpt-4o,,,,", None),
        ("Acme,US,,,Copilot,,,declared,Acme internal LLM v2,,,,", None),
        ("Acme,US,,,Copilot,,,open,x/y,,,,", "model_kind"),
        ("Acme,US,,,,,,,Qwen/Qwen2.5-7B,,,,", "without the product"),
        ("Acme,US,,,Copilot,,,,,fallback,,,", "model: required"),
        ("Acme,US,,,Copilot,,,,x/y,boss,,,", "role"),
        ("Acme,US,,,Copilot,,,,x/y,routed,30,,", None),
        ("Acme,US,,,Copilot,,,,x/y,routed,130,,", "1 to 100"),
        ("Acme,US,,,Copilot,,,,x/y,routed,lots,,", "whole number"),
        ("Acme,US,,,Copilot,,,,x/y,primary,30,,", "only to the routed role"),
        ("Acme,US,,,Copilot,,,,x/y,,,,us-east-1", "give the host"),
        ('=HYPERLINK("http://evil.example"),US,,,,,,,,,,,', "looks like a spreadsheet formula"),
        ("Acme,US,,,+Copilot,,,,,,,,", "looks like a spreadsheet formula"),
        ("Acme,US,,,-Copilot,,,,,,,,", "looks like a spreadsheet formula"),
        ("@Acme,US,,,,,,,,,,,", "looks like a spreadsheet formula"),
        ('"\t=1+1",US,,,,,,,,,,,', "tab or a carriage return"),
        ('"\r=1+1",US,,,,,,,,,,,', "tab or a carriage return"),
        ("Acme,US,,,,,,,,,,,,extra", "cells but the header names"),
        ("Acme,US", None),  # trailing cells left out by the spreadsheet
    ],
)
def test_each_row_is_checked_with_a_reason(row, error):
    (parsed,) = _parse(_csv(row))
    if error is None:
        assert parsed.errors == ()
    else:
        assert any(error in e for e in parsed.errors), parsed.errors


def test_values_are_normalised():
    (row,) = _parse(
        _csv("Zürich AI AG,che,https://z.example,HIGH,Copilot,Low, Source_Code ;personal,,Qwen/Qwen2.5-7B,,,GROQ,")
    )
    assert (row.vendor, row.vendor_country, row.vendor_tier) == ("Zürich AI AG", "CH", "high")
    assert row.product_data_categories == ("personal", "source_code")
    assert (row.model_kind, row.role, row.host) == ("hub", "primary", "groq")


def test_an_exported_quote_before_a_formula_character_is_read_as_the_text():
    (row,) = _parse(_csv("'=Acme,US,,,,,,,,,,,"))
    assert row.errors == () and row.vendor == "=Acme"


def test_a_duplicate_row_is_refused_with_the_first_line():
    rows = _parse(_csv("Acme,US,,,Copilot,,,,x/y,,,,", "Acme,US,,,Copilot,,,,x/y,,,,"))
    assert rows[0].errors == () and rows[1].errors == ("Duplicates row 2.",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"vendor\n", "no rows"),
        (b"vendor,colour\nAcme,red\n", "Unknown column 'colour'"),
        (b"vendor,vendor\nAcme,Acme\n", "appear more than once"),
        (b"vendor,,product\nAcme,,Copilot\n", "Column 2 of the header has no name"),
        (b"product\nCopilot\n", "no 'vendor' column"),
        ("vendor,vendor_country\nSoci\u00e9t\u00e9,FR\n".encode("latin-1"), "not UTF-8"),
        ("vendor\nAcme\n".encode("utf-16"), "UTF-16"),
        (b'vendor\n"Acme\x00\n', "binary"),
        (b'vendor\n"Acme,US\n', "not valid CSV"),
        (b"vendor\n" + b"Acme\n" * 60, "at most 50"),
        (b"vendor\n" + b"A" * 200_000, "at most"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, message):
    with pytest.raises(CsvFileError) as caught:
        parse_csv(data, max_bytes=100_000, max_rows=50)
    assert message in str(caught.value)


def test_a_bom_and_windows_line_ends_are_fine():
    rows = parse_csv("\ufeffvendor,vendor_country\r\nAcme,US\r\n".encode(), max_bytes=1000, max_rows=5)
    assert [(r.vendor, r.vendor_country, r.errors) for r in rows] == [("Acme", "US", ())]


# ---------------------------------------------------------------------------------------------------------------
# The plan (pure)
# ---------------------------------------------------------------------------------------------------------------
def _state() -> PortfolioState:
    return PortfolioState(
        vendors={
            "acme": VendorFact(1, "Acme", "US", "", "medium"),
            "old co": VendorFact(2, "Old Co", "GB", "", "low", archived=True),
        },
        products={
            (1, "copilot"): ProductFact(10, 1, "Copilot", "high", "", ("personal",)),
            (1, "legacy"): ProductFact(11, 1, "Legacy", "low", "", (), retired=True),
        },
        usages={
            (10, 100, "primary", "", ""): UsageFact(1000, None),
            (10, 100, "routed", "groq", ""): UsageFact(1001, 40),
        },
        models={("hub", "qwen/qwen2.5-7b"): 100, ("closed", "gpt-4o"): 200},
        hosts={"groq": frozenset({"us"})},
    )


@pytest.mark.parametrize(
    ("rows", "outcomes", "note"),
    [
        (["Acme,,,,,,,,,,,,"], ["unchanged"], "Already"),
        (["Acme,US,,medium,Copilot,high,personal,hub,Qwen/Qwen2.5-7B,,,,"], ["unchanged"], "Already"),
        (["acme,,,,COPILOT,,,,qwen/QWEN2.5-7b,,,,"], ["unchanged"], "Already"),
        (["Acme,,,high,,,,,,,,,"], ["change"], "tier medium → high"),
        (["Acme,,,,Copilot,,personal;source_code,,,,,,"], ["change"], "data_categories"),
        (["Acme,,,,Copilot,,,,Qwen/Qwen2.5-7B,routed,40,groq,"], ["unchanged"], "Already"),
        (["Acme,,,,Copilot,,,,Qwen/Qwen2.5-7B,routed,60,groq,"], ["change"], "share 40 → 60"),
        (["Acme,,,,Copilot,,,,Qwen/Qwen2.5-7B,fallback,,,"], ["create"], "New model usage"),
        (["Acme,,,,Copilot,,,closed,gpt-4o,fallback,,,"], ["create"], "New model usage"),
        (["Acme,,,,Copilot,,,closed,gpt-99,fallback,,,"], ["refused"], "not in the catalogue"),
        (["Acme,,,,Copilot,,,,x/y,,,nowhere,"], ["refused"], "unknown host"),
        (["Acme,,,,Copilot,,,,x/y,,,groq,eu"], ["refused"], "not a region of groq"),
        (["Acme,,,,Pilot,,,,,,,,"], ["create"], "New product Pilot"),
        (["Acme,,,,Legacy,,,,,,,,"], ["refused"], "retired"),
        (["Old Co,,,,,,,,,,,,"], ["refused"], "archived"),
        (["Newco,,,,,,,,,,,,"], ["refused"], "required for a new vendor"),
        (["Newco,DE,,,Bot,,,,x/y,,,,", "Newco,,,,Bot,,,,x/z,,,,"], ["create", "create"], "New model usage"),
        (["Newco,DE,,,,,,,,,,,", "Newco,FR,,,,,,,,,,,"], ["create", "refused"], "conflicts with row 2"),
        (["Acme,,,low,,,,,,,,,", "Acme,,,high,,,,,,,,,"], ["change", "refused"], "conflicts with row 2"),
        (
            ["Acme,,,,Copilot,,,,x/y,,,,", "Acme,,,,copilot,,,,X/Y,,,,"],
            ["create", "refused"],
            "same model usage as row 2",
        ),
        (["Acme,Atlantis,,,,,,,,,,,"], ["refused"], "unknown country"),
    ],
)
def test_the_plan_says_what_each_row_does(rows, outcomes, note):
    plan = import_plan(_parse(_csv(*rows)), _state())
    assert [r.outcome for r in plan.rows] == outcomes
    assert any(note in n for n in plan.rows[-1].notes), plan.rows[-1].notes


def test_the_digest_changes_when_the_portfolio_does():
    rows = _parse(_csv("Acme,,,high,,,,,,,,,"))
    state = _state()
    before = import_plan(rows, state).digest
    state.vendors["acme"] = VendorFact(1, "Acme", "US", "", "high")
    assert import_plan(rows, state).digest != before
    assert import_plan(rows, _state()).digest == before


# ---------------------------------------------------------------------------------------------------------------
# The service, on PostgreSQL
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture
def region(db):
    return factories.HostRegionFactory(host__key="acme-cloud", host__name="Acme Cloud", code="acme-us", country="US")


def _file(*rows: str) -> bytes:
    return _csv(*rows).encode("utf-8")


def _stage_and_apply(data: bytes, user=None):
    csv_import = services.csv_import_stage(data=data, filename="portfolio.csv", user=user)
    plan = services.csv_import_preview(csv_import=csv_import)
    return csv_import, services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest, user=user)


def test_an_import_writes_through_the_services(postgres, analyst, region, django_capture_on_commit_callbacks):
    data = _file(
        "Acme AI,US,https://acme.example,high,Copilot,critical,personal;source_code,hub,Qwen/Qwen2.5-7B-Instruct,,,acme-cloud,acme-us",
        "Acme AI,,,,Copilot,,,declared,Acme internal,fallback,,,",
        "Mistral AI,FR,,,,,,,,,,,",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        csv_import, plan = _stage_and_apply(data, analyst)
    assert plan.counts == {"create": 3, "change": 0, "unchanged": 0, "refused": 0}
    vendor = Vendor.objects.get(name="Acme AI")
    assert (vendor.country.code, vendor.tier, vendor.website) == ("US", "high", "https://acme.example")
    product = Product.objects.get(vendor=vendor)
    assert sorted(c.code for c in product.data_categories.all()) == ["personal", "source_code"]
    usages = ModelUsage.objects.filter(product=product).select_related("model", "host", "region").order_by("role")
    assert [(u.model.name, u.role, u.host and u.host.key) for u in usages] == [
        ("Acme internal", "fallback", None),
        ("Qwen/Qwen2.5-7B-Instruct", "primary", "acme-cloud"),
    ]
    assert all(u.declared_by_user == analyst for u in usages)
    assert ChangeEvent.objects.filter(kind="usage_added", product=product).count() == 2
    assert vendor.history.count() == 1 and product.history.count() >= 1
    refresh = LineageRefresh.objects.get()  # one refresh for the file's new hub models
    assert refresh.model_names == ["Qwen/Qwen2.5-7B-Instruct"]
    # One lineage refresh, one rescoring and one MBOM version check for the whole file, after commit.
    assert sorted(tasks_enqueued(callbacks)) == [
        "assessments.tasks.ratings_refresh",
        "vendors.tasks.bom_versions_refresh",
        "vendors.tasks.lineage_refresh",
    ]
    csv_import.refresh_from_db()
    assert csv_import.status == "applied" and csv_import.applied_by == analyst
    assert csv_import.outcome["create"] == 3
    assert Vendor.objects.filter(name="Mistral AI").exists()


def test_an_import_changes_and_leaves_alone(postgres, analyst, region):
    usage = factories.ModelUsageFactory(
        product__vendor__name="Acme AI", product__name="Copilot", role="routed", share=40, host=region.host
    )
    data = _file(
        f"Acme AI,,,critical,Copilot,,,hub,{usage.model.name},routed,60,acme-cloud,",
        "Acme AI,,,,Copilot,,,,,,,,",
    )
    _, plan = _stage_and_apply(data, analyst)
    assert [r.outcome for r in plan.rows] == ["change", "unchanged"]
    usage.refresh_from_db()
    assert usage.share == 60 and usage.product.vendor.tier == "critical"
    assert ModelUsage.objects.count() == 1


def test_a_failure_while_applying_leaves_nothing_behind(postgres, analyst, region):
    with connection.cursor() as cursor:  # the database refuses the third row's usage
        cursor.execute(
            "CREATE FUNCTION refuse_reranker() RETURNS trigger AS $$ BEGIN IF NEW.role = 'reranker' THEN "
            "RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_reranker BEFORE INSERT ON vendors_modelusage FOR EACH ROW "
            "EXECUTE FUNCTION refuse_reranker()"
        )
    data = _file(
        "Acme AI,US,,,Copilot,,,,org/first-model,,,,",
        "Beta Ltd,GB,,,Bot,,,,org/second-model,,,,",
        "Beta Ltd,,,,Bot,,,,org/third-model,reranker,,,",
    )
    csv_import = services.csv_import_stage(data=data, filename="bad.csv", user=analyst)
    plan = services.csv_import_preview(csv_import=csv_import)
    with pytest.raises(DatabaseError):
        services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    assert not Vendor.objects.exists() and not Product.objects.exists() and not ModelUsage.objects.exists()
    assert not AIModel.objects.filter(name__startswith="org/").exists()
    assert not ChangeEvent.objects.exists() and not LineageRefresh.objects.exists()
    csv_import.refresh_from_db()
    assert csv_import.status == "previewed"


def test_a_refused_row_refuses_the_whole_file(postgres, analyst):
    data = _file("Acme AI,US,,,,,,,,,,,", "Nowhere Inc,Atlantis,,,,,,,,,,,")
    csv_import = services.csv_import_stage(data=data, filename="x.csv", user=analyst)
    plan = services.csv_import_preview(csv_import=csv_import)
    with pytest.raises(ValidationError) as caught:
        services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    assert "row 3" in caught.value.message_dict
    assert not Vendor.objects.exists()


def test_a_preview_is_applied_only_while_the_portfolio_is_as_previewed(postgres, analyst):
    csv_import = services.csv_import_stage(data=_file("Acme AI,US,,high,,,,,,,,,"), filename="x.csv")
    plan = services.csv_import_preview(csv_import=csv_import)
    factories.VendorFactory(name="acme ai", country="DE")  # someone registers it meanwhile
    with pytest.raises(ValidationError) as caught:
        services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    assert "changed since this preview" in str(caught.value)
    assert Vendor.objects.get().country.code == "DE"
    fresh = services.csv_import_preview(csv_import=csv_import)
    services.csv_import_apply(csv_import=csv_import, plan_digest=fresh.digest, user=analyst)
    with pytest.raises(ValidationError, match="imported already"):
        services.csv_import_apply(csv_import=csv_import, plan_digest=fresh.digest, user=analyst)


def test_a_queued_import_that_can_no_longer_apply_says_why(postgres, analyst):
    csv_import = services.csv_import_stage(data=_file("Acme AI,US,,high,,,,,,,,,"), filename="x.csv")
    plan = services.csv_import_preview(csv_import=csv_import)
    services.csv_import_apply_request(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    with pytest.raises(ValidationError, match="being imported"):
        services.csv_import_apply_request(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    factories.VendorFactory(name="Acme AI", country="US", tier="low")  # before the worker got to it
    services.csv_import_apply_queued(csv_import_id=csv_import.pk)
    csv_import.refresh_from_db()
    assert csv_import.status == "previewed" and "changed since this preview" in csv_import.error
    assert Vendor.objects.get().tier == "low"
    fresh = services.csv_import_preview(csv_import=csv_import)
    services.csv_import_apply_request(csv_import=csv_import, plan_digest=fresh.digest, user=analyst)
    services.csv_import_apply_queued(csv_import_id=csv_import.pk)
    services.csv_import_apply_queued(csv_import_id=csv_import.pk)  # a redelivered task does nothing more
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.error, csv_import.applied_by) == ("applied", "", analyst)
    assert Vendor.objects.get().tier == "high" and Vendor.history.count() == 2


def test_an_unreadable_file_stores_nothing(db):
    with pytest.raises(ValidationError) as caught:
        services.csv_import_stage(data="vendor\nSociété\n".encode("cp1252"), filename="x.csv")
    assert "not UTF-8" in " ".join(caught.value.message_dict["file"])
    assert not CsvImport.objects.exists()


def test_the_size_and_row_limits_come_from_the_settings(db, settings):
    settings.CSV_IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationError, match="at most 2"):
        services.csv_import_stage(data=b"vendor,vendor_country\nA,US\nB,US\nC,US\n", filename="x.csv")
    settings.CSV_IMPORT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="at most 10 bytes"):
        services.csv_import_stage(data=b"vendor,vendor_country\nA,US\n", filename="x.csv")


# ---------------------------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------------------------
def _upload(client, data: bytes, name: str = "portfolio.csv"):
    return client.post(reverse("vendors:csv_import_list"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_an_analyst_previews_then_imports_all(client, analyst, region, django_capture_on_commit_callbacks):
    client.force_login(analyst)
    rows = ("Acme AI,US,,,Copilot,,,declared,Acme LLM,,,acme-cloud,acme-us", "Beta,,,,,,,,,,,,")
    response = _upload(client, _file(*rows))
    csv_import = CsvImport.objects.get()
    assert response.status_code == 302 and response["Location"] == csv_import.get_absolute_url()
    page = client.get(csv_import.get_absolute_url()).content.decode()
    assert "New vendor Acme AI (US)" in page and "required for a new vendor" in page
    assert "Import all" not in page and not Vendor.objects.exists()

    _upload(client, _file(rows[0]))
    csv_import = CsvImport.objects.order_by("-pk").first()
    page = client.get(csv_import.get_absolute_url()).content.decode()
    assert "Import all" in page and "New model usage: Acme LLM (primary) on acme-cloud (acme-us)." in page
    digest = services.csv_import_preview(csv_import=csv_import).digest
    assert f'value="{digest}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("vendors:csv_import_apply", args=[csv_import.pk]), {"plan": digest})
    assert response.status_code == 302
    page = client.get(csv_import.get_absolute_url()).content.decode()
    assert "1 row(s) created, 0 changed, 0 left alone" in page and "Import all" not in page
    usage = ModelUsage.objects.select_related("product__vendor", "region").get()
    assert (usage.product.vendor.name, usage.region.code) == ("Acme AI", "acme-us")
    csv_import.refresh_from_db()
    assert (csv_import.status, csv_import.applied_by) == ("applied", analyst)


def test_a_stale_preview_imports_nothing_and_says_so(client, analyst):
    client.force_login(analyst)
    _upload(client, _file("Acme AI,US,,high,,,,,,,,,"))
    csv_import = CsvImport.objects.get()
    page = client.get(csv_import.get_absolute_url()).content.decode()
    digest = services.csv_import_preview(csv_import=csv_import).digest
    assert f'value="{digest}"' in page and "New vendor Acme AI (US)" in page
    factories.VendorFactory(name="Acme AI", country="US", tier="low")  # registered on its page meanwhile
    response = client.post(reverse("vendors:csv_import_apply", args=[csv_import.pk]), {"plan": digest}, follow=True)
    html = response.content.decode()
    assert "Nothing was imported" in html and "changed since this preview" in html
    assert "Vendor Acme AI: tier low → high" in html  # the new preview
    assert Vendor.objects.get().tier == "low" and CsvImport.objects.get().status == "previewed"


def test_an_unreadable_upload_is_a_form_error(client, analyst):
    client.force_login(analyst)
    response = _upload(client, "vendor\nSociété\n".encode("latin-1"))
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not CsvImport.objects.exists()


def test_the_template_download_is_the_column_set(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("vendors:csv_import_template"))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffvendor,vendor_country,")
    rows = parse_csv(body.encode(), max_bytes=100_000, max_rows=10)
    assert all(r.errors == () for r in rows)


def test_permissions_on_the_import_pages(client, viewer, analyst):
    url = reverse("vendors:csv_import_list")
    assert client.get(url).status_code == 302  # anonymous: to the sign-in
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert "Preview" not in client.get(url).content.decode()
    assert _upload(client, _file("Acme AI,US,,,,,,,,,,,")).status_code == 403
    staged = services.csv_import_stage(data=_file("Acme AI,US,,,,,,,,,,,"), filename="x.csv")
    assert client.get(staged.get_absolute_url()).status_code == 200
    apply = reverse("vendors:csv_import_apply", args=[staged.pk])
    digest = services.csv_import_preview(csv_import=staged).digest
    assert client.post(apply, {"plan": digest}).status_code == 403
    assert not Vendor.objects.exists()
    client.force_login(factories.UserFactory(username="no-role"))
    assert client.get(url).status_code == 403
    assert client.get(reverse("vendors:csv_import_template")).status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------------------------
def _api_upload(client, data: bytes, **fields):
    return client.post(
        "/api/v1/csv-imports/", {"file": SimpleUploadedFile("p.csv", data, "text/csv"), **fields}, format="multipart"
    )


def test_the_api_previews_then_applies(analyst, region, django_capture_on_commit_callbacks):
    client = key_client(analyst)
    response = _api_upload(client, _file("Acme AI,US,,,Copilot,,,declared,Acme LLM,,,acme-cloud,acme-us"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "previewed" and body["plan"]["counts"]["create"] == 1
    assert body["plan"]["rows"][0]["outcome"] == "create" and not Vendor.objects.exists()
    url = f"/api/v1/csv-imports/{body['id']}/apply/"
    wrong = client.post(url, {"plan": "0" * 64}, format="json")
    assert wrong.status_code == 400 and "plan" in wrong.json()["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(url, {"plan": body["plan"]["digest"]}, format="json")
    assert queued.status_code == 202 and queued.json()["status"] == "applying"
    again = client.post(url, {"plan": body["plan"]["digest"]}, format="json")
    assert again.status_code == 400 and "imported already" in again.json()["detail"]
    done = client.get(f"/api/v1/csv-imports/{body['id']}/").json()
    assert done["status"] == "applied" and done["outcome"]["create"] == 1 and done["plan"] is None
    assert ModelUsage.objects.count() == 1


def test_the_api_applies_at_once_all_or_nothing(analyst, django_capture_on_commit_callbacks):
    client = key_client(analyst)
    refused = _api_upload(client, _file("Acme AI,US,,,,,,,,,,,", "Other,Atlantis,,,,,,,,,,,"), dry_run="false")
    assert refused.status_code == 400
    assert "unknown country" in refused.json()["fields"]["row 3"][0]
    assert not Vendor.objects.exists() and not CsvImport.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        queued = _api_upload(client, _file("Acme AI,US,,,,,,,,,,,"), dry_run="false")
    assert queued.status_code == 202 and queued.json()["status"] == "applying"
    assert Vendor.objects.get().name == "Acme AI" and CsvImport.objects.get().status == "applied"


def test_the_api_refuses_an_unreadable_file_with_the_reason(analyst):
    response = _api_upload(key_client(analyst), "vendor\nSociété\n".encode("latin-1"))
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["fields"]["file"][0]


def test_api_permissions_on_imports(viewer, analyst):
    staged = services.csv_import_stage(data=_file("Acme AI,US,,,,,,,,,,,"), filename="x.csv")
    digest = services.csv_import_preview(csv_import=staged).digest
    apply = f"/api/v1/csv-imports/{staged.pk}/apply/"
    for client in (key_client(viewer), key_client(analyst, scope="read")):
        assert client.get("/api/v1/csv-imports/").status_code == 200
        assert _api_upload(client, _file("Acme AI,US,,,,,,,,,,,")).status_code == 403
        assert client.post(apply, {"plan": digest}, format="json").status_code == 403
    from rest_framework.test import APIClient

    assert APIClient().post(apply, {"plan": digest}, format="json").status_code == 401
    assert not Vendor.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------------------------
def test_the_command_previews_and_imports(db, tmp_path, region):
    path = tmp_path / "portfolio.csv"
    path.write_bytes(_file("Acme AI,US,,,Copilot,,,,Qwen/Qwen2.5-7B,,,acme-cloud,acme-us"))
    out = io.StringIO()
    call_command("import_csv", str(path), "--dry-run", stdout=out)
    assert (
        out.getvalue().splitlines()[-1]
        == "dry run, nothing imported: 1 row: 1 to create, 0 to change, 0 to leave alone, 0 refused"
    )
    assert not Vendor.objects.exists()
    out = io.StringIO()
    call_command("import_csv", str(path), stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("1 row: 1 created, 0 changed, 0 left alone, 0 refused")
    out = io.StringIO()
    call_command("import_csv", str(path), stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("0 created, 0 changed, 1 left alone, 0 refused")
    assert ModelUsage.objects.count() == 1


def test_the_command_refuses_with_the_reasons(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(_file("Acme AI,US,,,,,,,,,,,", "=cmd|' /C calc'!A0,US,,,,,,,,,,,"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 row\\(s\\) refused"):
        call_command("import_csv", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert "looks like a spreadsheet formula" in lines[1] and lines[-1].startswith("nothing imported")
    assert not Vendor.objects.exists()
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_csv", str(tmp_path / "missing.csv"))


# ---------------------------------------------------------------------------------------------------------------
# The round trip: a download uploaded again leaves every row alone
# ---------------------------------------------------------------------------------------------------------------
def _portfolio(region):
    factories.ModelUsageFactory(
        product__vendor__name="=cmd|' /C calc'!A0",  # exported quoted, read back as the same text
        product__vendor__website="https://x.example",
        product__criticality="high",
        role="routed",
        share=30,
        host=region.host,
        region=region,
    )
    usage = factories.ModelUsageFactory(product__vendor__name="Zürich AI AG", product__vendor__country="CH")
    usage.product.data_categories.set(
        usage.product.data_categories.model.objects.filter(code__in=["personal", "health"])
    )
    factories.ModelUsageFactory(
        product=usage.product, role="fallback", model__kind="declared", model__name="In-house v2"
    )
    ended = factories.ModelUsageFactory(product=usage.product, role="embedding")
    services.model_usage_retire(usage=ended, reason="Replaced.")


@pytest.mark.parametrize("source", ["api", "page"])
def test_a_download_imported_again_leaves_every_row_alone(client, analyst, region, source):
    _portfolio(region)
    if source == "api":
        response = key_client(analyst).get("/api/v1/model-usages/", {"format": "csv"})
    else:
        client.force_login(analyst)
        response = client.get(reverse("vendors:usage_csv"))
    data = b"".join(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == ModelUsage.objects.count() == 4
    assert {r["vendor"] for r in rows} == {"'=cmd|' /C calc'!A0", "Zürich AI AG"}
    csv_import = services.csv_import_stage(data=data, filename="round-trip.csv", user=analyst)
    plan = services.csv_import_preview(csv_import=csv_import)
    assert [r.outcome for r in plan.rows] == ["unchanged"] * 4, [(r.outcome, r.notes) for r in plan.rows]
    events, vendor_history = ChangeEvent.objects.count(), Vendor.history.count()
    services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest, user=analyst)
    assert ModelUsage.objects.count() == 4
    assert (ChangeEvent.objects.count(), Vendor.history.count()) == (events, vendor_history)
