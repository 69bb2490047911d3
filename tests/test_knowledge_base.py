"""vendors.knowledge: the shipped data files, every validation rule, and the lookups.

Plain pytest, no database: the parser needs no Django settings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vendors.knowledge import (
    CLOSED_MODELS_FILE,
    FLAGS,
    HOSTS_FILE,
    PUBLISHERS_FILE,
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
)

# --------------------------------------------------------------------------- the shipped files


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_shipped_files_load_without_problems(kb: KnowledgeBase) -> None:
    assert kb.publishers and kb.hosts and kb.closed_models


@pytest.mark.parametrize(
    ("org", "publisher_key", "country"),
    [
        ("THUDM", "zhipu", "CN"),  # renamed to zai-org
        ("zai-org", "zhipu", "CN"),
        ("cohereforai", "cohere", "CA"),  # renamed to CohereLabs; hub ids ignore case
        ("CohereForAI", "cohere", "CA"),
        ("COHERELABS", "cohere", "CA"),
        ("Qwen", "alibaba-qwen", "CN"),
        ("deepseek-ai", "deepseek", "CN"),
        ("meta-llama", "meta", "US"),
        ("facebook", "meta", "US"),
        ("FacebookAI", "meta", "US"),
        ("mistralai", "mistral", "FR"),
        ("BAAI", "baai", "CN"),
        ("internlm", "shanghai-ai-lab", "CN"),
        ("NovaSky-AI", "novasky", "US"),
        ("  openai  ", "openai", "US"),
    ],
)
def test_publisher_for_org(kb: KnowledgeBase, org: str, publisher_key: str, country: str) -> None:
    publisher = kb.publisher_for_org(org)
    assert publisher is not None, org
    assert (publisher.key, publisher.country) == (publisher_key, country)


def test_unknown_org_has_no_publisher(kb: KnowledgeBase) -> None:
    assert kb.publisher_for_org("no-such-org-anywhere") is None


def test_publisher_for_repo(kb: KnowledgeBase) -> None:
    publisher = kb.publisher_for_repo("bartowski/Qwen2.5-14B-Instruct-exl2")
    assert publisher is not None and publisher.key == "bartowski"
    assert kb.publisher_for_repo("gpt2") is None  # a canonical id has no org


@pytest.mark.parametrize(
    "org",
    [
        "bartowski",
        "unsloth",
        "TheBloke",
        "lmstudio-community",
        "mlx-community",
        "QuantFactory",
        "MaziyarPanahi",
        "gaianet",
        "eaddario",
    ],
)
def test_repackagers_are_flagged(kb: KnowledgeBase, org: str) -> None:
    publisher = kb.publisher_for_org(org)
    assert publisher is not None and publisher.is_repackager


def test_fine_tuners_are_not_repackagers(kb: KnowledgeBase) -> None:
    nous = kb.publisher_for_org("NousResearch")
    assert nous is not None and not nous.is_repackager


@pytest.mark.parametrize(
    ("org", "flag"),
    [("BAAI", "bis_entity_list"), ("zai-org", "bis_entity_list"), ("tencent", "dod_1260h")],
)
def test_listed_entities_are_flagged(kb: KnowledgeBase, org: str, flag: str) -> None:
    publisher = kb.publisher_for_org(org)
    assert publisher is not None and publisher.has_flag(flag)


@pytest.mark.parametrize(
    "org",
    [
        "Azazelle",
        "yasserrmd",
        "eaddario",
        "pinzhenchen",
        "programasweights",
        "michaelwzhu",
        "EmmanuelEspinoza10",
        "shyamieee",
        "nreimers",
        "akjindal53244",
    ],
)
def test_individuals_have_unknown_country(kb: KnowledgeBase, org: str) -> None:
    publisher = kb.publisher_for_org(org)
    assert publisher is not None
    assert publisher.has_flag("individual") and publisher.country == ""


# Hub orgs named in section 1 of shared/knowledge/ai-supply-chain-facts.md and in the demo.
REQUIRED_ORGS = [
    "Qwen",
    "deepseek-ai",
    "moonshotai",
    "zai-org",
    "THUDM",
    "01-ai",
    "baichuan-inc",
    "internlm",
    "OpenGVLab",
    "MiniMaxAI",
    "tencent",
    "baidu",
    "ByteDance-Seed",
    "stepfun-ai",
    "openbmb",
    "BAAI",
    "XiaomiMiMo",
    "meituan-longcat",
    "inclusionAI",
    "Skywork",
    "meta-llama",
    "facebook",
    "google",
    "microsoft",
    "nvidia",
    "openai",
    "ibm-granite",
    "allenai",
    "mistralai",
    "tiiuae",
    "CohereLabs",
    "CohereForAI",
    "stabilityai",
    "LGAI-EXAONE",
    "upstage",
    "naver-hyperclovax",
    "kakaocorp",
    "sarvamai",
    "ai21labs",
    "HuggingFaceTB",
    "bigcode",
    "EleutherAI",
    "databricks",
    "Snowflake",
    "Salesforce",
    "apple",
    "amazon",
    "xai-org",
    "LiquidAI",
    "NousResearch",
    "swiss-ai",
    "utter-project",
    "BSC-LT",
    "openGPT-X",
    "Aleph-Alpha",
    "speakleash",
    "SakanaAI",
    "rinna",
    "cyberagent",
    "pfnet",
    "llm-jp",
    "tokyotech-llm",
    "inceptionai",
    "LLM360",
    "perplexity-ai",
    "bespokelabs",
    "open-thoughts",
    "NovaSky-AI",
    "agentica-org",
    "Open-Orca",
    "WizardLM",
    "Azazelle",
    "yasserrmd",
    "sentence-transformers",
    "intfloat",
    "FacebookAI",
    "gaianet",
    "eaddario",
    "pinzhenchen",
    "programasweights",
    "michaelwzhu",
    "EmmanuelEspinoza10",
    "shyamieee",
    "nreimers",
    "akjindal53244",
    "bartowski",
    "unsloth",
    "TheBloke",
    "lmstudio-community",
    "mlx-community",
    "QuantFactory",
    "MaziyarPanahi",
    "openai-community",
    "google-bert",
    "google-t5",
    "mistral-community",
]


def test_every_required_org_has_a_publisher(kb: KnowledgeBase) -> None:
    missing = [org for org in REQUIRED_ORGS if kb.publisher_for_org(org) is None]
    assert missing == []


# Host keys and region codes a demo portfolio depends on: renaming any of them breaks it.
DEMO_HOST_REGIONS = {
    "openai": ["global", "us", "eu"],
    "anthropic": ["global", "us"],
    "azure-openai": ["global", "datazone-eu", "datazone-us", "eastus", "westeurope", "swedencentral"],
    "aws-bedrock": ["us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1"],
    "google-vertex": ["us-central1", "europe-west4", "asia-northeast1"],
    "deepseek": ["cn"],
    "alibaba-dashscope": ["cn-beijing", "ap-southeast-1", "us-east-1", "cn-hongkong"],
    "moonshot": ["global", "cn"],
    "zhipu": ["global", "cn"],
    "siliconflow": ["cn", "global"],
    "together": ["us"],
    "fireworks": ["us"],
    "deepinfra": ["us"],
    "groq": ["us", "eu", "me"],
    "cerebras": ["us"],
    "nscale": ["no"],
    "mistral": ["global", "eu", "us"],
    "openrouter": ["global"],
    "hf-inference": ["global"],
    "aws": ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"],
    "azure": ["eastus", "westeurope"],
    "gcp": ["us-central1", "europe-west4"],
}


@pytest.mark.parametrize(("host_key", "region_codes"), sorted(DEMO_HOST_REGIONS.items()))
def test_demo_hosts_and_regions_exist(kb: KnowledgeBase, host_key: str, region_codes: list[str]) -> None:
    host = kb.host(host_key)
    assert host is not None, host_key
    assert [code for code in region_codes if host.region(code) is None] == []


@pytest.mark.parametrize(
    ("host_key", "region_code", "country"),
    [
        ("aws-bedrock", "eu-central-1", "DE"),
        ("aws", "eu-west-1", "IE"),
        ("azure-openai", "westeurope", "NL"),
        ("azure-openai", "swedencentral", "SE"),
        ("azure-openai", "datazone-eu", ""),
        ("google-vertex", "europe-west4", "NL"),
        ("google-vertex", "asia-northeast1", "JP"),
        ("aws-bedrock", "ap-northeast-1", "JP"),
        ("aws", "ap-southeast-1", "SG"),
        ("alibaba-dashscope", "cn-hongkong", "HK"),
        ("groq", "eu", "FI"),
        ("groq", "me", "SA"),
        ("nscale", "no", "NO"),
        ("openai", "global", ""),
        ("deepseek", "cn", "CN"),
    ],
)
def test_region_countries(kb: KnowledgeBase, host_key: str, region_code: str, country: str) -> None:
    host = kb.host(host_key)
    assert host is not None
    region = host.region(region_code)
    assert region is not None and region.country == country


REQUIRED_CLOSED_MODELS = {
    "gpt-4o": "openai",
    "gpt-4o-mini": "openai",
    "gpt-4.1": "openai",
    "o3": "openai",
    "gpt-5": "openai",
    "text-embedding-3-large": "openai",
    "text-embedding-3-small": "openai",
    "claude-3-5-sonnet": "anthropic",
    "claude-sonnet-4": "anthropic",
    "claude-opus-4": "anthropic",
    "gemini-1.5-pro": "google",
    "gemini-2.5-pro": "google",
    "gemini-2.5-flash": "google",
    "text-embedding-005": "google",
    "deepseek-chat": "deepseek",
    "deepseek-reasoner": "deepseek",
    "qwen-max": "alibaba-qwen",
    "qwen-plus": "alibaba-qwen",
    "kimi-k2": "moonshot",
    "glm-4.5": "zhipu",
    "mistral-large-latest": "mistral",
    "codestral-latest": "mistral",
    "command-r-plus": "cohere",
    "amazon.nova-pro": "amazon",
}


@pytest.mark.parametrize(("name", "publisher_key"), sorted(REQUIRED_CLOSED_MODELS.items()))
def test_required_closed_models(kb: KnowledgeBase, name: str, publisher_key: str) -> None:
    model = kb.closed_model(name)
    assert model is not None, name
    assert model.publisher == publisher_key
    assert kb.publisher(model.publisher) is not None
    assert all(kb.host(host) is not None for host in model.hosts)


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("Claude-3-5-Sonnet-20241022", "claude-3-5-sonnet"),
        ("anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
        ("amazon.nova-pro-v1:0", "amazon.nova-pro"),
        ("kimi-k2", "kimi-k2-0905-preview"),
    ],
)
def test_closed_model_aliases(kb: KnowledgeBase, model_id: str, name: str) -> None:
    model = kb.closed_model(model_id)
    assert model is not None and model.name == name


@pytest.mark.parametrize(
    ("hostname", "host_key", "region_code"),
    [
        ("api.openai.com", "openai", "global"),
        ("EU.api.openai.com", "openai", "eu"),
        ("bedrock-runtime.eu-central-1.amazonaws.com", "aws-bedrock", "eu-central-1"),
        ("bedrock-runtime.sa-east-1.amazonaws.com", "aws-bedrock", None),
        ("europe-west4-aiplatform.googleapis.com", "google-vertex", "europe-west4"),
        ("contoso.openai.azure.com", "azure-openai", None),
        ("dashscope-intl.aliyuncs.com", "alibaba-dashscope", "ap-southeast-1"),
        ("ws1.cn-hongkong.maas.aliyuncs.com", "alibaba-dashscope", "cn-hongkong"),
        ("open.bigmodel.cn", "zhipu", "cn"),
        ("api.eu.mistral.ai", "mistral", "eu"),
    ],
)
def test_host_for_hostname(kb: KnowledgeBase, hostname: str, host_key: str, region_code: str | None) -> None:
    match = kb.host_for_hostname(hostname)
    assert match is not None and match.host.key == host_key
    assert (match.region.code if match.region else None) == region_code


def test_unknown_hostname_matches_nothing(kb: KnowledgeBase) -> None:
    assert kb.host_for_hostname("api.example.com") is None


def test_every_row_has_a_source_with_a_url(kb: KnowledgeBase) -> None:
    rows = [*kb.publishers, *kb.hosts, *kb.closed_models]
    assert all(row.sources and all(s.url.startswith("https://") for s in row.sources) for row in rows)


def test_unverified_rows_say_why(kb: KnowledgeBase) -> None:
    rows = [*kb.publishers, *kb.hosts, *kb.closed_models]
    assert all(row.notes for row in rows if not row.verified)


def test_flags_used_are_all_in_the_vocabulary(kb: KnowledgeBase) -> None:
    assert set().union(*(p.flags for p in kb.publishers)) <= FLAGS.keys()


# --------------------------------------------------------------------------- validation rules

VALID_FILES = {
    PUBLISHERS_FILE: """
[[publisher]]
key = "acme"
name = "Acme"
legal_entity = "Acme Inc."
country = "US"
hub_orgs = ["Acme"]
verified = true
sources = [{ title = "Acme site", url = "https://acme.example/", issuer = "A", kind = "secondary", reports_on = "R" }]
""",
    HOSTS_FILE: """
[[host]]
key = "acme-api"
name = "Acme API"
operator = "Acme Inc."
country = "US"
kind = "model_api"
api_hostnames = ["api.acme.example", "{region}.api.acme.example"]
verified = true
sources = [{ title = "Docs", url = "https://acme.example/docs", issuer = "A", kind = "secondary", reports_on = "R" }]

[[host.region]]
code = "us"
name = "United States"
country = "US"
""",
    CLOSED_MODELS_FILE: """
[[model]]
name = "acme-1"
publisher = "acme"
family = "Acme"
hosts = ["acme-api"]
verified = true
sources = [{ title = "M", url = "https://acme.example/models", issuer = "A", kind = "secondary", reports_on = "R" }]
""",
}

SECOND_PUBLISHER = """
[[publisher]]
key = "{key}"
name = "Other"
legal_entity = "Other Ltd"
country = "GB"
hub_orgs = {orgs}
verified = true
sources = [{{ title = "Other", url = "https://other.example/", issuer = "O", kind = "secondary", reports_on = "R" }}]
"""


def write_files(directory: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """The valid files with ``old`` replaced by ``new`` in the named files ("" appends)."""
    for filename, text in VALID_FILES.items():
        if filename in edits:
            old, new = edits[filename]
            assert not old or old in text, f"{old!r} is not in the valid {filename}"
            text = text.replace(old, new) if old else text + new
        (directory / filename).write_text(text, encoding="utf-8")
    return directory


def test_the_valid_files_load(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_files(tmp_path, {}))
    assert [p.key for p in kb.publishers] == ["acme"]


RULE_CASES = [
    pytest.param(
        PUBLISHERS_FILE,
        ("verified = true", 'verified = true\nwebsite = "https://acme.example"'),
        "publishers.toml: publisher #1 ('acme'): unknown key 'website'",
        id="unknown-key",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('legal_entity = "Acme Inc."\n', ""),
        "missing required field 'legal_entity'",
        id="missing-required-field",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('legal_entity = "Acme Inc."', 'legal_entity = ""'),
        "'legal_entity' must not be empty",
        id="empty-required-text",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("", SECOND_PUBLISHER.format(key="acme", orgs='["Other"]')),
        "duplicate key 'acme'",
        id="duplicate-publisher-key",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("", SECOND_PUBLISHER.format(key="other", orgs='["ACME"]')),
        "hub org 'ACME' is already claimed by publishers.toml: publisher #1 ('acme')",
        id="org-claimed-twice-case-insensitive",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("verified = true", 'former_hub_orgs = ["acme"]\nverified = true'),
        "hub org 'acme' is already claimed",
        id="former-org-repeats-current-org",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('country = "US"', 'country = "XX"'),
        "'country' 'XX' is not an ISO 3166-1 alpha-2 code",
        id="invalid-country",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('country = "US"', 'country = "us"'),
        "(use uppercase)",
        id="lowercase-country",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("verified = true", 'flags = ["evil_empire"]\nverified = true'),
        "unknown flag 'evil_empire'",
        id="unknown-flag",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        (
            'sources = [{ title = "Acme site", url = "https://acme.example/", '
            'issuer = "A", kind = "secondary", reports_on = "R" }]',
            "sources = []",
        ),
        "needs at least one source",
        id="empty-sources",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        (
            'sources = [{ title = "Acme site", url = "https://acme.example/", '
            'issuer = "A", kind = "secondary", reports_on = "R" }]',
            "",
        ),
        "missing required field 'sources'",
        id="no-sources",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('url = "https://acme.example/"', 'link = "https://acme.example/"'),
        "source #1: missing required field 'url'",
        id="source-without-url",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('url = "https://acme.example/"', 'url = "acme.example"'),
        "is not an http(s) URL",
        id="source-url-not-http",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('kind = "secondary", reports_on = "R" }]', 'kind = "primary" }]'),
        'acme.example is not a primary issuer of publisher facts: mark it kind = "secondary"',
        id="non-primary-domain-marked-primary",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        (', reports_on = "R" }]', " }]"),
        "a secondary source must name the primary it reports on",
        id="secondary-without-its-primary",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('kind = "secondary"', 'kind = "tertiary"'),
        "'kind' must be 'primary' or 'secondary'",
        id="unknown-kind",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('issuer = "A", ', ""),
        "source #1: missing required field 'issuer'",
        id="source-without-issuer",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("verified = true", "verified = false"),
        "an unverified row needs notes",
        id="unverified-without-notes",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("verified = true", 'verified = "yes"'),
        "'verified' must be true or false",
        id="wrong-type",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('key = "acme"', 'key = "Acme Corp"'),
        "must be a lowercase slug",
        id="bad-slug",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ('hub_orgs = ["Acme"]', 'hub_orgs = ["Acme/models"]'),
        "is not a valid hub org id",
        id="bad-hub-org",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("[[publisher]]", "[[publisher]\n"),
        "publishers.toml: not valid TOML",
        id="invalid-toml",
    ),
    pytest.param(
        PUBLISHERS_FILE,
        ("", '\n[[vendor]]\nname = "x"\n'),
        "unknown top-level key 'vendor'",
        id="unknown-top-level-table",
    ),
    pytest.param(
        HOSTS_FILE,
        ("", '\n[[host.region]]\ncode = "us"\nname = "Again"\ncountry = "US"\n'),
        "hosts.toml: host #1 ('acme-api'), region #2 ('us'): duplicate region code 'us'",
        id="duplicate-region-code",
    ),
    pytest.param(
        HOSTS_FILE,
        ('name = "United States"\ncountry = "US"', 'name = "United States"\ncountry = "USA"'),
        "region #1 ('us'): 'country' 'USA' is not an ISO 3166-1 alpha-2 code",
        id="invalid-region-country",
    ),
    pytest.param(
        HOSTS_FILE,
        ('kind = "model_api"', 'kind = "gpu_farm"'),
        "unknown kind 'gpu_farm'",
        id="unknown-host-kind",
    ),
    pytest.param(
        HOSTS_FILE,
        ('"api.acme.example", ', '"https://api.acme.example/v1", '),
        "is not a lowercase hostname",
        id="hostname-with-scheme-and-path",
    ),
    pytest.param(
        HOSTS_FILE,
        ('"{region}.api.acme.example"', '"{zone}.api.acme.example"'),
        "unknown placeholder {zone}",
        id="unknown-hostname-placeholder",
    ),
    pytest.param(
        HOSTS_FILE,
        ('\n[[host.region]]\ncode = "us"\nname = "United States"\ncountry = "US"\n', ""),
        "missing required field 'region'",
        id="host-without-regions",
    ),
    pytest.param(
        HOSTS_FILE,
        ('name = "United States"\ncountry = "US"', 'name = "US"\ncountry = "US"\nverified = false'),
        "region #1 ('us'): an unverified row needs notes",
        id="unverified-region-without-notes",
    ),
    pytest.param(
        CLOSED_MODELS_FILE,
        ('publisher = "acme"', 'publisher = "nobody"'),
        "closed_models.toml: model #1 ('acme-1'): unknown publisher 'nobody'",
        id="closed-model-unknown-publisher",
    ),
    pytest.param(
        CLOSED_MODELS_FILE,
        ('hosts = ["acme-api"]', 'hosts = ["acme-api", "nowhere"]'),
        "unknown host 'nowhere'",
        id="closed-model-unknown-host",
    ),
    pytest.param(
        CLOSED_MODELS_FILE,
        ('hosts = ["acme-api"]', "hosts = []"),
        "'hosts' must not be an empty list",
        id="closed-model-without-hosts",
    ),
    pytest.param(
        CLOSED_MODELS_FILE,
        ('hosts = ["acme-api"]', 'hosts = ["acme-api"]\naliases = ["ACME-1"]'),
        "model id 'ACME-1' is already used",
        id="closed-model-alias-repeats-name",
    ),
]


@pytest.mark.parametrize(("filename", "edit", "expected"), RULE_CASES)
def test_validation_rule_fires(tmp_path: Path, filename: str, edit: tuple[str, str], expected: str) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(write_files(tmp_path, {filename: edit}))
    assert any(expected in problem for problem in caught.value.problems), caught.value


def test_missing_file_is_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {})
    (tmp_path / HOSTS_FILE).unlink()
    with pytest.raises(KnowledgeBaseError, match=r"hosts\.toml: file not found"):
        load_knowledge_base(tmp_path)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    edits = {
        PUBLISHERS_FILE: ('country = "US"', 'country = "XX"\nflags = ["nope"]'),
        HOSTS_FILE: ('kind = "model_api"', 'kind = "nope"'),
        CLOSED_MODELS_FILE: ('hosts = ["acme-api"]', 'hosts = ["nowhere"]'),
    }
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(write_files(tmp_path, edits))
    problems = caught.value.problems
    assert len(problems) == 4
    assert str(caught.value).startswith("4 problems in the knowledge base:")
    for fragment in ["'XX'", "unknown flag 'nope'", "unknown kind 'nope'", "unknown host 'nowhere'"]:
        assert any(fragment in problem for problem in problems), fragment
