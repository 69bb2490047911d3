"""Region groups (EU, EEA, ...): a provider region serving "somewhere in the EU" counts as the EU, not as
unknown/global, once the policy approves the EU (by name or country by country)."""

import pytest

from assessments.forms_policy import CountryCodesField
from assessments.scoring import HostFacts, Policy, PolicyError, score
from tests.test_scoring import facts
from vendors.knowledge.region_groups import RegionGroupError, expand, parse_region_groups, region_groups
from vendors.models import HostRegion

POLICY = Policy.default()
EU = region_groups()["EU"].countries
AZURE_DATAZONE_EU = HostFacts("azure-openai", "Azure OpenAI", "US", "datazone-eu", "", "EU")
OPENAI_GLOBAL = HostFacts("openai", "OpenAI", "US", "global", "")


def _outside(host, approved) -> bool:
    rating = score(facts(host=host), POLICY.with_changes(approved_regions=frozenset(approved)))
    return "hosting.outside_approved" in {factor.code for factor in rating.factors}


def test_the_shipped_groups_are_sourced_and_nest():
    groups = region_groups()
    assert {"EU", "EEA", "EU_EFTA"} <= set(groups)
    assert len(EU) == 27 and "DE" in EU and "GB" not in EU and "CH" not in EU
    assert EU < groups["EEA"].countries < groups["EU_EFTA"].countries
    assert all(group.sources for group in groups.values())
    assert expand({"EU", "GB"}) == EU | {"GB"}


@pytest.mark.parametrize(
    "host, approved, outside",
    [
        (AZURE_DATAZONE_EU, {"EU", "US"}, False),  # the group by name
        (AZURE_DATAZONE_EU, EU | {"US"}, False),  # every member country
        (AZURE_DATAZONE_EU, {"EEA", "US"}, False),  # a wider group
        (AZURE_DATAZONE_EU, {"DE", "FR", "US"}, True),  # somewhere in the EU may be elsewhere than DE or FR
        (AZURE_DATAZONE_EU, {"EU"}, True),  # the operator is in the US
        (HostFacts("mistral", "Mistral", "FR", "eu", "", "EU_EFTA"), {"EU"}, True),  # may be Switzerland
        (HostFacts("mistral", "Mistral", "FR", "eu", "", "EU_EFTA"), {"EU_EFTA"}, False),
        (HostFacts("scaleway", "Scaleway", "FR", "par", "FR"), {"EU"}, False),  # a member country, group approved
        (OPENAI_GLOBAL, {"EU", "US"}, True),  # global serving is still anywhere
    ],
)
def test_a_region_in_a_group_is_inside_when_the_whole_group_is_approved(host, approved, outside):
    assert _outside(host, approved) is outside


def test_the_reason_says_where_a_group_region_serves():
    rating = score(facts(host=AZURE_DATAZONE_EU), POLICY.with_changes(approved_regions=frozenset({"DE"})))
    (factor,) = [f for f in rating.factors if f.code == "hosting.outside_approved"]
    assert "somewhere in EU" in " ".join(factor.evidence)


def test_a_policy_may_name_groups_in_approved_regions_only():
    POLICY.with_changes(approved_regions=frozenset({"EU", "GB"}))
    with pytest.raises(PolicyError, match="approved_regions"):
        POLICY.with_changes(approved_regions=frozenset({"EUROPE"}))
    with pytest.raises(PolicyError, match="countries_of_concern"):
        POLICY.with_changes(countries_of_concern=frozenset({"EEA"}))


def test_the_policy_form_takes_group_codes_for_approved_regions():
    assert CountryCodesField(groups=True).clean("eu, gb") == frozenset({"EU", "GB"})
    with pytest.raises(Exception, match="region groups"):
        CountryCodesField(groups=True).clean("EUROPE")
    with pytest.raises(Exception, match="Unknown country"):
        CountryCodesField().clean("EU")


@pytest.mark.parametrize(
    "text, problem",
    [
        ('[[group]]\ncode = "DE"\nname = "x"\ncountries = ["DE"]\nsources = [{title="t", url="https://e"}]', "code"),
        ('[[group]]\ncode = "NORDIC"\nname = "x"\ncountries = ["XX"]\nsources = [{title="t", url="https://e"}]',
         "countries"),
        ('[[group]]\ncode = "NORDIC"\nname = "x"\ncountries = ["SE"]', "sources"),
    ],
)  # fmt: skip
def test_a_malformed_groups_file_is_refused(text, problem):
    with pytest.raises(RegionGroupError, match=problem):
        parse_region_groups(text)


@pytest.mark.django_db
def test_the_knowledge_base_loads_the_provider_regions_groups(knowledge):
    grouped = HostRegion.objects.exclude(group="").values_list("host__key", "code", "group")
    assert set(grouped) == {("openai", "eu", "EU"), ("mistral", "eu", "EU_EFTA"), ("azure-openai", "datazone-eu", "EU")}


@pytest.mark.django_db
def test_a_usage_on_an_eu_data_zone_is_not_penalised_once_the_eu_is_approved(knowledge):
    from assessments.selectors.facts import _host_facts
    from tests import factories

    region = HostRegion.objects.get(host__key="azure-openai", code="datazone-eu")
    usage = factories.ModelUsageFactory(host=region.host, region=region)
    host = _host_facts(usage)
    assert host.region_group == "EU"
    assert not _outside(host, {"EU", "US"}) and _outside(host, {"US"})


@pytest.mark.django_db
def test_an_installation_upgraded_from_before_groups_gets_the_shipped_groups(knowledge):
    """Rows loaded before ``group`` existed carry a fingerprint without it; the migration brings them along, so the
    next load sets the group instead of keeping the row as an admin's edit."""
    import importlib

    from django.apps import apps

    from vendors.services.knowledge import _fingerprint, knowledge_base_load_shipped

    migration = importlib.import_module("vendors.migrations.0013_hostregion_group_region_groups")
    region = HostRegion.objects.get(host__key="azure-openai", code="datazone-eu")
    old = {"name": region.name, "country": region.country, "hostnames": region.hostnames, "notes": region.notes}
    HostRegion.objects.filter(pk=region.pk).update(group="", shipped_fingerprint=_fingerprint(old))
    edited = HostRegion.objects.get(host__key="openai", code="eu")
    HostRegion.objects.filter(pk=edited.pk).update(group="", notes="An admin's note", shipped_fingerprint=_fingerprint(
        {"name": edited.name, "country": edited.country, "hostnames": edited.hostnames, "notes": edited.notes}
    ))  # fmt: skip

    migration.fingerprints_with_group(apps, None)
    knowledge_base_load_shipped()

    assert HostRegion.objects.get(pk=region.pk).group == "EU"
    assert HostRegion.objects.get(pk=edited.pk).group == ""  # an admin's edit is still left alone


@pytest.mark.django_db
def test_the_api_names_a_regions_group(knowledge):
    from vendors.api.serializers import HostRegionSerializer

    region = HostRegion.objects.get(host__key="azure-openai", code="datazone-eu")
    assert HostRegionSerializer(region).data == {
        "id": region.pk, "code": "datazone-eu", "name": region.name, "country": None, "group": "EU",
    }  # fmt: skip
