"""Where a curated fact comes from, and whether that source is one an auditor accepts as the primary one.

Every fact in the curated files (the knowledge base here, ``assessments/data/*.toml``, the questionnaire framework
catalogue) carries a list of :class:`Source` records, each saying who issued the document (``issuer``) and whether
it is the **primary** source (the regulator, the evaluator, the publisher or provider itself) or a **secondary**
copy (a news report, an aggregator, someone's summary). A secondary source names the primary it reports on
(``reports_on``, and ``reports_on_url`` when known), so a citation reads "we read <primary> via <secondary>".

The classification rule lives here, not in the files: :data:`PRIMARY_DOMAINS` lists, per fact type, the domains
whose documents count as primary. A source on any other domain must be marked ``kind = "secondary"``; loading
refuses one marked primary. Adding a domain is a code change, reviewed like one.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

PRIMARY = "primary"
SECONDARY = "secondary"
KINDS = (PRIMARY, SECONDARY)

_URL = re.compile(r"https?://[^\s/]+\.[^\s]*")

# ---------------------------------------------------------------------------------------------------------------
# Primary issuers, by the domain (or domain and path prefix) their documents are published under. A domain also
# covers its subdomains: "nist.gov" covers "www.nist.gov" and "nvlpubs.nist.gov".
# ---------------------------------------------------------------------------------------------------------------

#: Governments, regulators and official legal texts.
GOVERNMENT = frozenset(
    {
        "ecfr.gov",  # Electronic Code of Federal Regulations
        "federalregister.gov",  # the Federal Register
        "govinfo.gov",  # the US Government Publishing Office
        "uscode.house.gov",  # the US Code (Office of the Law Revision Counsel)
        "congress.gov",  # bills and their text
        "nist.gov",  # NIST, including CAISI
        "commerce.gov",  # US Department of Commerce
        "bis.gov",  # Bureau of Industry and Security
        "bis.doc.gov",
        "defense.gov",  # US Department of Defense (1260H list)
        "war.gov",  # the Department of Defense's later domain
        "treasury.gov",  # US Treasury, OFAC
        "europa.eu",  # EU institutions, EUR-Lex
        "efta.int",  # European Free Trade Association
        "garanteprivacy.it",  # Italy's data protection authority
        "hkexnews.hk",  # Hong Kong Exchanges disclosures
    }
)

#: Model publishers' own sites and documentation (their model cards on the hub count too, see HUB).
PUBLISHER_SITES = frozenset(
    {
        "deepseek.com",
        "alibabacloud.com",
        "qwen.ai",
        "moonshot.ai",
        "z.ai",
        "bigmodel.cn",
        "llama.com",
        "meta.com",
        "ai.google.dev",
        "openai.com",
        "anthropic.com",
        "claude.com",
        "mistral.ai",
        "cohere.com",
        "aws.amazon.com",
        "docs.aws.amazon.com",
        "microsoft.com",
        "nvidia.com",
        "ibm.com",
        "baai.ac.cn",
        "arxiv.org",  # a paper, by its own authors
    }
)

#: The model hub: an organisation's own pages and model cards, and the hub's own documentation.
HUB = frozenset({"huggingface.co", "github.com/huggingface"})

#: Model APIs, inference providers, clouds and routers: their own documentation, code and announcements.
PROVIDER_SITES = frozenset(
    {
        "docs.aws.amazon.com",
        "aws.amazon.com",
        "learn.microsoft.com",
        "azuresdkdocs.z19.web.core.windows.net",  # Microsoft's Azure SDK reference documentation
        "cloud.google.com",
        "docs.cloud.google.com",
        "ai.google.dev",
        "openai.com",
        "github.com/openai",
        "raw.githubusercontent.com/openai",  # OpenAI's own SDK source
        "anthropic.com",
        "claude.com",
        "deepseek.com",
        "alibabacloud.com",
        "moonshot.ai",
        "z.ai",
        "bigmodel.cn",
        "mistral.ai",
        "siliconflow.cn",
        "siliconflow.com",
        "together.ai",
        "fireworks.ai",
        "deepinfra.com",
        "groq.com",
        "cerebras.ai",
        "nscale.com",
        "openrouter.ai",
    }
)

#: Published security evaluations: the evaluators' own publications.
EVALUATORS = frozenset({"nist.gov", "blogs.cisco.com", "crowdstrike.com", "arxiv.org"})

#: Licence texts and their stewards.
LICENCE_STEWARDS = frozenset({"spdx.org", "creativecommons.org"})

#: Standards bodies and frameworks.
STANDARDS = frozenset({"nist.gov", "iso.org", "europa.eu", "cloudsecurityalliance.org"})

#: Per fact type, the domains whose documents are primary sources for it.
PRIMARY_DOMAINS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "country_list": GOVERNMENT,
        "evaluation": EVALUATORS,
        "licence": LICENCE_STEWARDS | PUBLISHER_SITES | HUB,
        "publisher": GOVERNMENT | PUBLISHER_SITES | HUB,
        "host": PROVIDER_SITES | HUB,
        "closed_model": PUBLISHER_SITES | PROVIDER_SITES | HUB,
        "region_group": frozenset({"europa.eu", "efta.int"}),
        "framework": STANDARDS,
    }
)


def _matches(host: str, path: str, entry: str) -> bool:
    domain, slash, prefix = entry.partition("/")
    on_domain = host == domain or host.endswith("." + domain)
    return on_domain and (not slash or path == f"/{prefix}" or path.startswith(f"/{prefix}/"))


def is_primary_domain(url: str, fact_type: str) -> bool:
    """Whether ``url`` is published by a primary issuer for ``fact_type`` (a key of :data:`PRIMARY_DOMAINS`)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return any(_matches(host, parts.path, entry) for entry in PRIMARY_DOMAINS[fact_type])


@dataclass(frozen=True)
class Source:
    """One document behind a fact: what it is, who issued it, and whether it is the primary source."""

    title: str
    url: str
    issuer: str = ""
    kind: str = PRIMARY
    reports_on: str = ""  # a secondary source: the primary it reports on, by title
    reports_on_url: str = ""  # ... and by URL, when known
    accessed: dt.date | None = None

    @property
    def is_secondary(self) -> bool:
        return self.kind == SECONDARY

    def cite(self) -> str:
        """Plain-text citation; a secondary one says which primary it reports on."""
        text = f"{self.title} ({self.issuer}) <{self.url}>" if self.issuer else f"{self.title} <{self.url}>"
        if not self.is_secondary:
            return text
        primary = f"{self.reports_on} <{self.reports_on_url}>" if self.reports_on_url else self.reports_on
        return f"{text} (secondary, reporting on {primary})"

    def as_dict(self) -> dict[str, str]:
        """The JSON form stored on knowledge-base rows and shown by the API."""
        result = {"title": self.title, "url": self.url, "issuer": self.issuer, "kind": self.kind}
        if self.is_secondary:
            result["reports_on"] = self.reports_on
            if self.reports_on_url:
                result["reports_on_url"] = self.reports_on_url
        if self.accessed:
            result["accessed"] = self.accessed.isoformat()
        return result


_REQUIRED = frozenset({"title", "url", "issuer", "kind"})
_OPTIONAL = frozenset({"reports_on", "reports_on_url", "accessed"})


def parse_sources(value: Any, fact_type: str, where: str) -> tuple[tuple[Source, ...], list[str]]:
    """The sources of one fact (a list of tables) and the problems found, each prefixed with ``where``.

    A fact needs at least one source; each needs a title, an http(s) URL, an issuer and a kind; a source on a
    domain that is not a primary issuer for ``fact_type`` must be marked secondary; a secondary one must name
    the primary it reports on.
    """
    problems: list[str] = []
    if value is None:
        return (), [f"{where}: needs its sources ('sources')"]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return (), [f"{where}: 'sources' must be a list of tables"]
    if not value:
        return (), [f"{where}: needs at least one source"]
    sources = []
    for index, table in enumerate(value):
        at = f"{where}, source #{index + 1}"
        problems += [f"{at}: missing required field {name!r}" for name in sorted(_REQUIRED - table.keys())]
        problems += [f"{at}: unknown key {name!r}" for name in sorted(table.keys() - _REQUIRED - _OPTIONAL)]
        text = {name: table.get(name, "") for name in (*_REQUIRED, "reports_on", "reports_on_url")}
        bad = [name for name, item in text.items() if not isinstance(item, str)]
        problems += [f"{at}: {name!r} must be a string" for name in bad]
        text = {name: item.strip() if isinstance(item, str) else "" for name, item in text.items()}
        problems += [f"{at}: {name!r} must not be empty" for name in sorted(_REQUIRED & table.keys()) if not text[name]]
        source = Source(
            title=text["title"],
            url=text["url"],
            issuer=text["issuer"],
            kind=text["kind"],
            reports_on=text["reports_on"],
            reports_on_url=text["reports_on_url"],
            accessed=_date(table.get("accessed"), at, problems),
        )
        problems += _source_problems(source, fact_type, at)
        sources.append(source)
    return tuple(sources), problems


def as_date(value: Any) -> dt.date | None:
    """A TOML date or an ISO date string as a date (None stays None); ValueError for anything else."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(value)


def _date(value: Any, at: str, problems: list[str]) -> dt.date | None:
    try:
        return as_date(value)
    except ValueError:
        problems.append(f"{at}: 'accessed' must be a date such as 2026-05-01")
        return None


def _source_problems(source: Source, fact_type: str, at: str) -> list[str]:
    problems = []
    if source.url and not _URL.fullmatch(source.url):
        problems.append(f"{at}: 'url' {source.url!r} is not an http(s) URL")
    if source.kind and source.kind not in KINDS:
        problems.append(f"{at}: 'kind' must be 'primary' or 'secondary', not {source.kind!r}")
    if source.kind == PRIMARY and source.url and not is_primary_domain(source.url, fact_type):
        problems.append(
            f"{at}: {urlsplit(source.url).hostname} is not a primary issuer of {fact_type.replace('_', ' ')} facts: "
            'mark it kind = "secondary" and name the primary it reports on (reports_on)'
        )
    if source.kind == SECONDARY and not source.reports_on:
        problems.append(f"{at}: a secondary source must name the primary it reports on ('reports_on')")
    if source.kind == PRIMARY and (source.reports_on or source.reports_on_url):
        problems.append(f"{at}: only a secondary source reports on another ('reports_on')")
    if source.reports_on_url and not _URL.fullmatch(source.reports_on_url):
        problems.append(f"{at}: 'reports_on_url' {source.reports_on_url!r} is not an http(s) URL")
    elif source.reports_on_url and not is_primary_domain(source.reports_on_url, fact_type):
        problems.append(
            f"{at}: 'reports_on_url' is not on a primary issuer's domain for {fact_type.replace('_', ' ')} facts"
        )
    return problems


def cite_all(sources: Iterable[Source]) -> str:
    """The plain-text citations of a fact's sources, one after the other."""
    return "; ".join(source.cite() for source in sources)


def only_secondary(sources: Iterable[Source]) -> bool:
    """Whether a fact rests on secondary copies only (no primary source cited)."""
    sources = tuple(sources)
    return bool(sources) and all(source.is_secondary for source in sources)


def source_from_dict(data: Mapping[str, Any]) -> Source:
    """A stored source (a knowledge-base row's JSON); rows an admin wrote before kinds existed count as primary
    only when they say so, so an unmarked one is shown without a kind."""
    return Source(
        title=str(data.get("title", "")),
        url=str(data.get("url", "")),
        issuer=str(data.get("issuer", "")),
        kind=str(data.get("kind", "")),
        reports_on=str(data.get("reports_on", "")),
        reports_on_url=str(data.get("reports_on_url", "")),
    )
