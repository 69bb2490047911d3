"""The demo portfolio: the shipped file is a realistic inventory built only from identifiers the project knows,
and the parser reports every problem in a bad file, with its position."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from vendors.demo import (
    DATA_CATEGORIES,
    DEFAULT_PATH,
    USAGE_DECLARED_BY,
    USAGE_ROLES,
    ModelRef,
    Portfolio,
    PortfolioError,
    UsageSpec,
    load_portfolio,
    parse_portfolio,
)

# --- What the rest of the project knows: the fake hub's repos, the closed-model catalogue, the host table ----------

HUB_IDS = frozenset(
    {
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen/Qwen2.5-14B-Instruct",
        "Qwen/Qwen2.5-32B-Instruct",
        "Qwen/Qwen2.5-Math-7B",
        "Qwen/Qwen2.5-7B-Instruct-1M",
        "Qwen/Qwen3-0.6B",
        "Qwen/Qwen2.5-72B-Instruct",
        "Qwen/Qwen2.5-3B-Instruct",
        "deepseek-ai/DeepSeek-R1",
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "unsloth/Qwen2.5-7B-Instruct-bnb-4bit",
        "perplexity-ai/r1-1776",
        "bespokelabs/Bespoke-Stratos-7B",
        "open-thoughts/OpenThinker-7B",
        "NovaSky-AI/Sky-T1-32B-Preview",
        "agentica-org/DeepScaleR-1.5B-Preview",
        "nvidia/OpenReasoning-Nemotron-7B",
        "Salesforce/xLAM-2-32b-fc-r",
        "meta-llama/Llama-3.1-8B-Instruct",
        "lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF",
        "NousResearch/Hermes-3-Llama-3.1-8B",
        "unsloth/Hermes-3-Llama-3.1-8B-bnb-4bit",
        "meta-llama/Llama-3.2-11B-Vision-Instruct",
        "meta-llama/Llama-2-7b-chat-hf",
        "mistralai/Mistral-7B-Instruct-v0.3",
        "Open-Orca/Mistral-7B-OpenOrca",
        "Azazelle/Mocha-Dare-7b-ex",
        "yasserrmd/DeepSeek-7B-1M",
        "zai-org/glm-4-9b-chat",
        "THUDM/glm-4-9b-chat",
        "moonshotai/Kimi-K2-Instruct",
        "tencent/Hunyuan-7B-Instruct",
        "CohereLabs/c4ai-command-r-08-2024",
        "BAAI/bge-m3",
        "BAAI/bge-reranker-v2-m3",
        "sentence-transformers/all-MiniLM-L6-v2",
        "intfloat/multilingual-e5-large",
        "google/gemma-2-9b-it",
        "microsoft/Phi-3.5-mini-instruct",
        "openai/gpt-oss-20b",
        "openai/gpt-oss-120b",
        "ibm-granite/granite-3.1-8b-instruct",
        "pinzhenchen/sft-lora-fi-pythia-2b8",
        "programasweights/paw-programs",
        "michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3",
        "shyamieee/JARVIS-v1.0",
        "bartowski/internlm2_5-20b-chat-GGUF",
        "northwind-ai/contract-copilot-7b",
        "northwind-ai/contract-copilot-7b-GGUF",
        "helio-health/clinical-notes-qwen-14b",
        "brightdesk/support-agent-8b",
        "brightdesk/support-agent-8b-lora",
        "quantly/finance-reasoner-32b",
        "codewright/codewright-coder-1.5b",
        "tallyhr/resume-screener-e5",
        "lexify/legal-merge-7b",
        "acme-labs/orphan-ft",
    }
)

# Qwen and DeepSeek repos and their known fine-tunes, distills, merges, adapters and quants. The synthetic vendor
# repos are left out on purpose: their parents are whatever the fake hub says.
CHINESE_ROOTED_HUB_IDS = frozenset(
    {repo for repo in HUB_IDS if repo.startswith(("Qwen/", "deepseek-ai/"))}
    | {
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        "unsloth/Qwen2.5-7B-Instruct-bnb-4bit",
        "perplexity-ai/r1-1776",
        "bespokelabs/Bespoke-Stratos-7B",
        "open-thoughts/OpenThinker-7B",
        "NovaSky-AI/Sky-T1-32B-Preview",
        "agentica-org/DeepScaleR-1.5B-Preview",
        "nvidia/OpenReasoning-Nemotron-7B",
        "Salesforce/xLAM-2-32b-fc-r",
        "yasserrmd/DeepSeek-7B-1M",
        "programasweights/paw-programs",
    }
)

_OPENAI_HOSTS = frozenset({"openai", "azure-openai"})
_ANTHROPIC_HOSTS = frozenset({"anthropic", "aws-bedrock", "google-vertex"})
# Each closed model, and who can plausibly serve it: its publisher's API or a cloud AI service reselling it.
CLOSED_MODEL_HOSTS: dict[str, frozenset[str]] = {
    "gpt-4o": _OPENAI_HOSTS,
    "gpt-4o-mini": _OPENAI_HOSTS,
    "gpt-4.1": _OPENAI_HOSTS,
    "o3": _OPENAI_HOSTS,
    "gpt-5": _OPENAI_HOSTS,
    "text-embedding-3-large": _OPENAI_HOSTS,
    "text-embedding-3-small": _OPENAI_HOSTS,
    "claude-3-5-sonnet": _ANTHROPIC_HOSTS,
    "claude-sonnet-4": _ANTHROPIC_HOSTS,
    "claude-opus-4": _ANTHROPIC_HOSTS,
    "gemini-1.5-pro": frozenset({"google-vertex"}),
    "gemini-2.5-pro": frozenset({"google-vertex"}),
    "gemini-2.5-flash": frozenset({"google-vertex"}),
    "text-embedding-005": frozenset({"google-vertex"}),
    "deepseek-chat": frozenset({"deepseek"}),
    "deepseek-reasoner": frozenset({"deepseek"}),
    "qwen-max": frozenset({"alibaba-dashscope"}),
    "qwen-plus": frozenset({"alibaba-dashscope"}),
    "glm-4.5": frozenset({"zhipu"}),
    "mistral-large-latest": frozenset({"mistral"}),
    "codestral-latest": frozenset({"mistral"}),
    "command-r-plus": frozenset({"aws-bedrock", "azure-openai"}),
    "amazon.nova-pro": frozenset({"aws-bedrock"}),
}
CLOSED_MODELS = frozenset(CLOSED_MODEL_HOSTS)

HOST_REGIONS: dict[str, frozenset[str]] = {
    "openai": frozenset({"global", "us", "eu"}),
    "anthropic": frozenset({"global", "us"}),
    "azure-openai": frozenset({"global", "datazone-eu", "datazone-us", "eastus", "westeurope", "swedencentral"}),
    "aws-bedrock": frozenset({"us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1"}),
    "google-vertex": frozenset({"us-central1", "europe-west4", "asia-northeast1"}),
    "deepseek": frozenset({"cn"}),
    "alibaba-dashscope": frozenset({"cn-beijing", "ap-southeast-1", "us-east-1", "cn-hongkong"}),
    "moonshot": frozenset({"global", "cn"}),
    "zhipu": frozenset({"global", "cn"}),
    "siliconflow": frozenset({"cn", "global"}),
    "together": frozenset({"us"}),
    "fireworks": frozenset({"us"}),
    "deepinfra": frozenset({"us"}),
    "groq": frozenset({"us", "eu", "me"}),
    "cerebras": frozenset({"us"}),
    "nscale": frozenset({"no"}),
    "mistral": frozenset({"global", "eu", "us"}),
    "openrouter": frozenset({"global"}),
    "hf-inference": frozenset({"global"}),
    "aws": frozenset({"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"}),
    "azure": frozenset({"eastus", "westeurope"}),
    "gcp": frozenset({"us-central1", "europe-west4"}),
}
HOSTS_WITHOUT_REGION = frozenset({"openrouter", "hf-inference"})
# Open weights are self-hosted on a cloud or served by an inference provider or router; a publisher's own API
# serves only its own open models.
OPEN_MODEL_HOSTS = frozenset(
    {
        "aws",
        "azure",
        "gcp",
        "together",
        "fireworks",
        "deepinfra",
        "groq",
        "cerebras",
        "nscale",
        "siliconflow",
        "openrouter",
        "hf-inference",
    }
)
PUBLISHER_API_ORGS = {"moonshot": "moonshotai/", "zhipu": "zai-org/", "deepseek": "deepseek-ai/"}

# The synthetic hub orgs belong to vendors in the portfolio.
SYNTHETIC_ORGS = {
    "northwind-ai": ("Northwind Legal AI", "US"),
    "helio-health": ("Helio Health", "US"),
    "brightdesk": ("BrightDesk", "US"),
    "quantly": ("Quantly", "US"),
    "codewright": ("Codewright", "US"),
    "tallyhr": ("TallyHR", "US"),
    "lexify": ("Lexify", "DE"),
    "acme-labs": ("Acme Labs", "US"),
}


@pytest.fixture(scope="module")
def portfolio() -> Portfolio:
    return load_portfolio()


def _hub_ids_used(portfolio: Portfolio) -> list[str]:
    return [ref.name for ref in _all_refs(portfolio) if ref.kind == "hub"]


def _all_refs(portfolio: Portfolio) -> list[ModelRef]:
    refs = [usage.model for _, _, usage in portfolio.usages()]
    refs += [parent for declared in portfolio.declared_models for parent in declared.parents]
    return refs


# --- The shipped file ---------------------------------------------------------------------------------------------


def test_shipped_portfolio_loads_from_the_default_path(portfolio: Portfolio) -> None:
    assert DEFAULT_PATH.name == "portfolio.toml"
    assert DEFAULT_PATH.parent.name == "demo"
    assert portfolio == load_portfolio(DEFAULT_PATH)


def test_shipped_portfolio_has_the_size_of_a_real_inventory(portfolio: Portfolio) -> None:
    assert 15 <= len(portfolio.vendors) <= 20
    assert 40 <= len(list(portfolio.products())) <= 50
    assert 90 <= len(list(portfolio.usages())) <= 140


def test_every_hub_id_is_one_the_fake_hub_knows(portfolio: Portfolio) -> None:
    unknown = sorted(set(_hub_ids_used(portfolio)) - HUB_IDS)
    assert unknown == []


def test_most_fake_hub_repos_appear_in_the_portfolio(portfolio: Portfolio) -> None:
    unused = HUB_IDS - set(_hub_ids_used(portfolio))
    assert len(unused) <= len(HUB_IDS) // 10, sorted(unused)


def test_renamed_thudm_id_is_used_exactly_once(portfolio: Portfolio) -> None:
    assert _hub_ids_used(portfolio).count("THUDM/glm-4-9b-chat") == 1
    assert "zai-org/glm-4-9b-chat" in _hub_ids_used(portfolio)


def test_every_closed_model_is_in_the_catalogue(portfolio: Portfolio) -> None:
    unknown = sorted({ref.name for ref in _all_refs(portfolio) if ref.kind == "closed"} - CLOSED_MODELS)
    assert unknown == []


def test_every_usage_names_a_known_host_and_one_of_its_regions(portfolio: Portfolio) -> None:
    bad = []
    for vendor, product, usage in portfolio.usages():
        if usage.host not in HOST_REGIONS:
            bad.append((vendor.name, product.name, usage.host, usage.region))
        elif usage.region is None and usage.host not in HOSTS_WITHOUT_REGION:
            bad.append((vendor.name, product.name, usage.host, "<region missing>"))
        elif usage.region is not None and usage.region not in HOST_REGIONS[usage.host]:
            bad.append((vendor.name, product.name, usage.host, usage.region))
    assert bad == []


def test_every_model_is_served_by_a_plausible_host(portfolio: Portfolio) -> None:
    def plausible(usage: UsageSpec) -> bool:
        host, model = usage.host or "", usage.model
        if model.kind == "closed":
            return host in CLOSED_MODEL_HOSTS.get(model.name, frozenset())
        if model.kind == "hub":
            return host in OPEN_MODEL_HOSTS or model.name.startswith(PUBLISHER_API_ORGS.get(host, "\0"))
        return True  # a declared model runs wherever its vendor says

    implausible = [(p.name, str(u.model), u.host) for _, p, u in portfolio.usages() if not plausible(u)]
    assert implausible == []


def test_us_vendors_sell_products_built_on_qwen_and_deepseek_derivatives(portfolio: Portfolio) -> None:
    us_vendors_on_chinese_roots = {
        vendor.name
        for vendor, _, usage in portfolio.usages()
        if vendor.country == "US" and usage.model.kind == "hub" and usage.model.name in CHINESE_ROOTED_HUB_IDS
    }
    assert len(us_vendors_on_chinese_roots) >= 4, us_vendors_on_chinese_roots
    # Not only the bases themselves: derivatives published by US organizations too.
    us_on_derivatives = {
        vendor.name
        for vendor, _, usage in portfolio.usages()
        if vendor.country == "US"
        and usage.model.name in CHINESE_ROOTED_HUB_IDS
        and not usage.model.name.startswith(("Qwen/", "deepseek-ai/"))
    }
    assert len(us_on_derivatives) >= 3, us_on_derivatives


def test_synthetic_hub_repos_are_used_by_the_vendors_that_publish_them(portfolio: Portfolio) -> None:
    for vendor, product, usage in portfolio.usages():
        org = usage.model.name.split("/")[0] if usage.model.kind == "hub" else ""
        if org in SYNTHETIC_ORGS:
            name_prefix, country = SYNTHETIC_ORGS[org]
            assert vendor.name.startswith(name_prefix), (product.name, str(usage.model))
            assert vendor.country == country


def test_vendors_are_clearly_fictional_and_documented(portfolio: Portfolio) -> None:
    for vendor in portfolio.vendors:
        domain = urlsplit(vendor.website).hostname or ""
        assert domain.endswith(".example"), vendor.website
        assert vendor.description, vendor.name
        assert vendor.contacts, vendor.name
        for contact in vendor.contacts:
            assert contact.email.endswith(f"@{domain}"), contact.email
            assert contact.role, contact.email
        for product in vendor.products:
            assert product.description, product.name
            assert product.business_owner, product.name
            assert product.data_categories, product.name
            assert product.usages, product.name


def test_portfolio_covers_the_mix_an_analyst_sees(portfolio: Portfolio) -> None:
    statuses = [vendor.status for vendor in portfolio.vendors]
    assert statuses.count("onboarding") >= 2
    assert any(vendor.status == "archived" and vendor.products for vendor in portfolio.vendors)
    assert sum(product.status == "retired" for _, product in portfolio.products()) >= 3
    assert {"US", "DE", "FR", "NL", "IE", "GB", "CA", "IL", "SG", "IN"} <= {v.country for v in portfolio.vendors}
    assert sum(vendor.country == "US" for vendor in portfolio.vendors) > len(portfolio.vendors) / 2

    usages = [usage for _, _, usage in portfolio.usages()]
    assert {usage.role for usage in usages} == set(USAGE_ROLES)
    assert {usage.declared_by for usage in usages} == set(USAGE_DECLARED_BY)
    assert {usage.model.kind for usage in usages} == {"hub", "closed", "declared"}
    used_categories = {category for _, product in portfolio.products() for category in product.data_categories}
    assert len(used_categories) >= len(DATA_CATEGORIES) - 1

    routed_products = [p for _, p in portfolio.products() if sum(u.role == "routed" for u in p.usages) >= 2]
    assert len(routed_products) >= 5
    assert any({"routed", "embedding"} <= {u.role for u in p.usages} for p in routed_products)


def test_same_model_is_served_from_different_hosts_and_regions(portfolio: Portfolio) -> None:
    placements: dict[ModelRef, set[tuple[str | None, str | None]]] = {}
    for _, _, usage in portfolio.usages():
        placements.setdefault(usage.model, set()).add((usage.host, usage.region))
    assert sum(len(places) >= 2 for places in placements.values()) >= 5
    hosts_for_deepseek = {usage.host for _, _, usage in portfolio.usages() if "deepseek" in usage.model.name.casefold()}
    assert {"deepseek", "together", "aws"} <= hosts_for_deepseek


def test_declared_models_are_all_used_or_parents(portfolio: Portfolio) -> None:
    referenced = {ref.name for ref in _all_refs(portfolio) if ref.kind == "declared"}
    assert {declared.name for declared in portfolio.declared_models} == referenced


def test_model_refs_names_every_model_once(portfolio: Portfolio) -> None:
    refs = portfolio.model_refs()
    assert refs == set(_all_refs(portfolio))
    assert ModelRef("declared", "sentinel-ioc-extractor-v1") in refs  # only ever a parent
    assert ModelRef("closed", "gpt-4o-mini") in refs


def test_a_code_that_is_not_an_iso_country_is_refused() -> None:
    data = {"vendor": [{"name": "Nowhere Ltd", "country": "ZZ", "tier": "low", "status": "active"}]}
    with pytest.raises(PortfolioError) as caught:
        parse_portfolio(data)
    assert [str(problem) for problem in caught.value.problems] == [
        "vendor #1 \"Nowhere Ltd\": country: 'ZZ' is not an ISO 3166-1 alpha-2 code"
    ]
    parse_portfolio({"vendor": [{**data["vendor"][0], "country": "GB"}]})  # a real code passes


# --- Model references ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "name"),
    [
        ("hub:Qwen/Qwen2.5-7B-Instruct", "hub", "Qwen/Qwen2.5-7B-Instruct"),
        ("closed:amazon.nova-pro", "closed", "amazon.nova-pro"),
        ("declared:helio-asr-med-v2", "declared", "helio-asr-med-v2"),
    ],
)
def test_model_ref_parses_and_prints_back(text: str, kind: str, name: str) -> None:
    ref = ModelRef.parse(text)
    assert (ref.kind, ref.name) == (kind, name)
    assert str(ref) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Qwen/Qwen2.5-7B", "is not a model reference"),
        ("hf:Qwen/Qwen2.5-7B", "unknown kind 'hf'"),
        ("hub:Qwen2.5-7B", "is not a hub repo id"),
        ("hub:Qwen/a/b", "is not a hub repo id"),
        ("hub:/x", "is not a hub repo id"),
        ("closed:", "needs a name"),
        ("closed:gpt 4o", "needs a name with no spaces"),
    ],
)
def test_model_ref_rejects_malformed_text(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        ModelRef.parse(text)


# --- Validation, one rule at a time -------------------------------------------------------------------------------

VALID = """\
[[vendor]]
name = "Example Vendor, Inc."
country = "US"
website = "https://vendor.example"
tier = "high"
status = "active"

  [[vendor.contact]]
  name = "Alex Doe"
  email = "alex@vendor.example"
  role = "Security lead"

  [[vendor.product]]
  name = "Copilot"
  criticality = "high"
  status = "active"
  data_categories = ["personal"]

    [[vendor.product.usage]]
    model = "hub:Qwen/Qwen2.5-7B-Instruct"
    role = "primary"
    host = "aws"
    region = "us-east-1"
    declared_by = "vendor"
"""

DECLARED = """
[[declared_model]]
name = "in-house-v1"
source = "vendor"
"""


def _usage(model: str = "closed:gpt-4o", role: str = "routed", extra: str = "") -> str:
    return f"""
    [[vendor.product.usage]]
    model = "{model}"
    role = "{role}"
    host = "openai"
    region = "us"
    declared_by = "vendor"
    {extra}
"""


def _edit(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


SECOND_VENDOR = """
[[vendor]]
name = "{name}"
country = "GB"
tier = "low"
status = "active"
"""

SECOND_PRODUCT = """
  [[vendor.product]]
  name = "{name}"
  criticality = "low"
  status = "active"
"""

# (case id, TOML text, a fragment of the problem the parser must report)
INVALID_CASES: list[tuple[str, str, str]] = [
    # Unknown keys, at every level.
    ("unknown top-level key", 'title = "demo"\n' + VALID, "unknown key 'title'"),
    ("unknown vendor key", _edit('tier = "high"', 'tier = "high"\nsize = 3'), "unknown key 'size'"),
    ("bad hub org", _edit('tier = "high"', 'tier = "high"\nhub_orgs = ["<b>"]'), "'<b>' is not a hub organisation id"),
    ("unknown contact key", _edit('role = "Security lead"', 'role = "x"\n  phone = "1"'), "unknown key 'phone'"),
    ("unknown product key", _edit('criticality = "high"', 'criticality = "high"\n  owner = "x"'), "'owner'"),
    ("unknown usage key", _edit('host = "aws"', 'host = "aws"\n    hots = "aws"'), "unknown key 'hots'"),
    ("unknown declared_model key", VALID + DECLARED + 'parent = "x"\n', "unknown key 'parent'"),
    # Missing required fields.
    ("missing vendor name", _edit('name = "Example Vendor, Inc."\n', ""), "missing required field 'name'"),
    ("missing vendor country", _edit('country = "US"\n', ""), "missing required field 'country'"),
    ("missing contact email", _edit('  email = "alex@vendor.example"\n', ""), "missing required field 'email'"),
    ("missing product status", _edit('  status = "active"\n  data', "  data"), "missing required field 'status'"),
    ("missing usage role", _edit('    role = "primary"\n', ""), "missing required field 'role'"),
    ("missing usage model", _edit('    model = "hub:Qwen/Qwen2.5-7B-Instruct"\n', ""), "field 'model'"),
    ("missing declared_by", _edit('    declared_by = "vendor"\n', ""), "missing required field 'declared_by'"),
    ("missing declared source", VALID + DECLARED.replace('source = "vendor"\n', ""), "field 'source'"),
    ("empty vendor name", _edit('name = "Example Vendor, Inc."', 'name = "  "'), "name: must not be empty"),
    ("number for a string", _edit('tier = "high"', "tier = 3"), "tier: must be a string"),
    # Enumerations.
    ("bad tier", _edit('tier = "high"', 'tier = "extreme"'), "tier: 'extreme' is not one of"),
    ("bad vendor status", _edit('status = "active"\n\n', 'status = "paused"\n\n'), "status: 'paused'"),
    ("UK is not ISO", _edit('country = "US"', 'country = "UK"'), "the United Kingdom is GB"),
    ("lower-case country", _edit('country = "US"', 'country = "us"'), "not an ISO 3166-1 alpha-2 code"),
    ("bad criticality", _edit('criticality = "high"', 'criticality = "urgent"'), "criticality: 'urgent'"),
    ("bad product status", _edit('  status = "active"\n  data', '  status = "sunset"\n  data'), "'sunset'"),
    ("bad data category", _edit('["personal"]', '["pii"]'), "data_categories: 'pii' is not one of"),
    ("repeated data category", _edit('["personal"]', '["personal", "personal"]'), "listed more than once"),
    ("data categories not a list", _edit('["personal"]', '"personal"'), "must be a list of strings"),
    ("bad role", _edit('role = "primary"', 'role = "main"'), "role: 'main' is not one of"),
    ("bad declared_by", _edit('declared_by = "vendor"', 'declared_by = "sales"'), "declared_by: 'sales'"),
    ("bad declared source", VALID + DECLARED.replace('"vendor"', '"rumour"'), "source: 'rumour'"),
    ("bad email", _edit('"alex@vendor.example"', '"alex at vendor"'), "is not an email address"),
    ("bad website", _edit('"https://vendor.example"', '"vendor.example"'), "is not an http(s) URL"),
    # Duplicates.
    ("duplicate vendor", VALID + SECOND_VENDOR.format(name="EXAMPLE VENDOR, INC."), "duplicate vendor name"),
    ("duplicate product", VALID + SECOND_PRODUCT.format(name="copilot"), "duplicate product name 'copilot'"),
    (
        "duplicate contact email",
        _edit(
            '  role = "Security lead"\n',
            '  role = "x"\n\n  [[vendor.contact]]\n  name = "B"\n  email = "ALEX@vendor.example"\n',
        ),
        "duplicate contact email",
    ),
    ("duplicate declared model", VALID + DECLARED + DECLARED, "duplicate declared model name 'in-house-v1'"),
    (
        "duplicate usage",
        VALID
        + _usage("hub:Qwen/Qwen2.5-7B-Instruct", "primary").replace(
            'host = "openai"\n    region = "us"', 'host = "aws"\n    region = "us-east-1"'
        ),
        "duplicate usage",
    ),
    # Routed shares.
    ("shares over 100", VALID + _usage(extra="share = 60") + _usage("closed:o3", extra="share = 50"), "add up to 110%"),
    ("share on a primary", VALID + _usage(role="fallback", extra="share = 20"), "only a routed usage"),
    ("share of zero", VALID + _usage(extra="share = 0"), "between 1 and 100"),
    ("share over 100 alone", VALID + _usage(extra="share = 101"), "between 1 and 100"),
    ("share as text", VALID + _usage(extra='share = "50"'), "share: must be a whole percentage"),
    ("share as float", VALID + _usage(extra="share = 50.5"), "share: must be a whole percentage"),
    ("region without host", _edit('    host = "aws"\n', ""), "needs the host that serves it"),
    # Declared references.
    ("undeclared usage ref", VALID + _usage("declared:ghost-model", "primary"), "declared:ghost-model has no"),
    (
        "undeclared parent",
        VALID + DECLARED + 'parents = ["declared:ghost-base"]\n',
        "parents: declared:ghost-base has no [[declared_model]]",
    ),
    (
        "declared cycle",
        VALID
        + DECLARED
        + 'parents = ["declared:in-house-v2"]\n'
        + DECLARED.replace("v1", "v2")
        + 'parents = ["declared:in-house-v1"]\n',
        "cannot be its own ancestor",
    ),
    ("declared self-parent", VALID + DECLARED + 'parents = ["declared:in-house-v1"]\n', "its own ancestor"),
    ("declared name with spaces", VALID + DECLARED.replace("in-house-v1", "in house"), "must have no spaces"),
    # Malformed refs.
    ("ref without kind", _edit('"hub:Qwen/Qwen2.5-7B-Instruct"', '"Qwen/Qwen2.5-7B"'), "not a model reference"),
    ("ref with unknown kind", _edit('"hub:Qwen/Qwen2.5-7B-Instruct"', '"hf:Qwen/Qwen2.5-7B"'), "unknown kind 'hf'"),
    ("hub ref without org", _edit('"hub:Qwen/Qwen2.5-7B-Instruct"', '"hub:Qwen2.5-7B"'), "not a hub repo id"),
    ("closed ref without name", _edit('"hub:Qwen/Qwen2.5-7B-Instruct"', '"closed:"'), "needs a name"),
    ("ref that is not a string", _edit('"hub:Qwen/Qwen2.5-7B-Instruct"', "7"), "model: must be a string"),
    ("malformed parent", VALID + DECLARED + 'parents = ["Qwen/Qwen2.5-7B"]\n', "parents[1]: 'Qwen/Qwen2.5-7B'"),
    # Shape.
    ("vendor as a plain table", VALID.replace("[[vendor]]", "[vendor]", 1).split("\n  [[")[0], "array of tables"),
    ("not TOML at all", VALID + "this is = = not toml\n", "not valid TOML"),
]


def _load(tmp_path: Path, text: str) -> Portfolio:
    path = tmp_path / "portfolio.toml"
    path.write_text(text, encoding="utf-8")
    return load_portfolio(path)


def _problems(tmp_path: Path, text: str) -> PortfolioError:
    with pytest.raises(PortfolioError) as caught:
        _load(tmp_path, text)
    return caught.value


def test_the_valid_base_document_loads(tmp_path: Path) -> None:
    portfolio = _load(tmp_path, VALID + DECLARED)
    (vendor,) = portfolio.vendors
    (usage,) = vendor.products[0].usages
    assert (vendor.name, vendor.country, vendor.website) == ("Example Vendor, Inc.", "US", "https://vendor.example")
    assert vendor.contacts[0].email == "alex@vendor.example"
    assert usage == UsageSpec(
        model=ModelRef("hub", "Qwen/Qwen2.5-7B-Instruct"),
        role="primary",
        declared_by="vendor",
        host="aws",
        region="us-east-1",
    )
    assert portfolio.declared_models[0].name == "in-house-v1"


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in INVALID_CASES], ids=[c[0] for c in INVALID_CASES])
def test_each_rule_is_reported(tmp_path: Path, text: str, fragment: str) -> None:
    error = _problems(tmp_path, text)
    assert error.source == str(tmp_path / "portfolio.toml")
    assert any(fragment in str(problem) for problem in error.problems), error.problems
    assert fragment in str(error)


ALLOWED_CASES: list[tuple[str, str]] = [
    ("routed shares of exactly 100", VALID + _usage(extra="share = 60") + _usage("closed:o3", extra="share = 40")),
    ("a routed usage with an undisclosed share", VALID + _usage()),
    ("a host with no region", VALID + _usage("closed:gpt-4o", "fallback").replace('    region = "us"\n', "")),
    (
        "the same product name at two vendors",
        VALID + SECOND_VENDOR.format(name="Other Ltd") + SECOND_PRODUCT.format(name="Copilot"),
    ),
    ("the same model in two roles", VALID + _usage("hub:Qwen/Qwen2.5-7B-Instruct", "fallback")),
    ("a declared chain", VALID + DECLARED + DECLARED.replace("v1", "v2") + 'parents = ["declared:in-house-v1"]\n'),
    ("an empty file", ""),
]


@pytest.mark.parametrize("text", [c[1] for c in ALLOWED_CASES], ids=[c[0] for c in ALLOWED_CASES])
def test_what_is_allowed(tmp_path: Path, text: str) -> None:
    _load(tmp_path, text)


def test_problems_carry_their_position(tmp_path: Path) -> None:
    text = VALID + _usage("declared:ghost-model", "primary", extra="colour = 'red'")
    error = _problems(tmp_path, text)
    where = 'vendor #1 "Example Vendor, Inc." > product #1 "Copilot" > usage #2'
    assert [str(problem) for problem in error.problems] == [
        f"{where}: unknown key 'colour'; allowed: model, role, declared_by, host, region, share, notes",
        f"{where}: model: declared:ghost-model has no [[declared_model]] entry",
    ]
    assert str(error).startswith(f"{tmp_path / 'portfolio.toml'}: 2 problem(s)")


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = (
        _edit('tier = "high"', 'tier = "extreme"')
        .replace('role = "primary"', 'role = "main"')
        .replace('"https://vendor.example"', '"nope"')
    )
    messages = [problem.message for problem in _problems(tmp_path, text).problems]
    assert [m.split(":")[0] for m in messages] == ["tier", "website", "role"]


def test_a_bad_product_does_not_hide_problems_in_the_next_vendor(tmp_path: Path) -> None:
    text = _edit('criticality = "high"', 'criticality = "urgent"') + SECOND_VENDOR.format(name="Other Ltd").replace(
        'tier = "low"', 'tier = "tiny"'
    )
    error = _problems(tmp_path, text)
    assert len(error.problems) == 2
    assert error.problems[1].where == 'vendor #2 "Other Ltd"'
