"""Lineage as people read it: ``{{ chain|join:" → "|plain_ids }}`` drops the internal prefixes of node ids."""

from django import template

from vendors.lineage.display import plain_ids as _plain_ids

register = template.Library()


@register.filter
def plain_ids(text) -> str:
    return _plain_ids(text)


@register.filter
def upload_files(upload) -> list[tuple[str, str, str, int, str]]:
    """The files of a ``ModelFilesUpload``: (kind, file name, SHA-256, size, name as uploaded) for each present."""
    return [
        (kind, name, sha, size or 0, original or name)
        for kind, name, sha, size, original in (
            ("config", "config.json", upload.config_sha256, upload.config_size, upload.config_name),
            (
                "tokenizer",
                "tokenizer_config.json",
                upload.tokenizer_sha256,
                upload.tokenizer_size,
                upload.tokenizer_name,
            ),
        )
        if sha
    ]


@register.filter
def fingerprint_said(fingerprint) -> list[str]:
    """What a stored fingerprint says, as short "field value" texts (architecture, sizes, special tokens)."""
    if not isinstance(fingerprint, dict):
        return []
    said = []
    if isinstance(fingerprint.get("model_type"), str) and fingerprint["model_type"]:
        said.append(f"model_type {fingerprint['model_type']}")
    architectures = [a for a in fingerprint.get("architectures") or () if isinstance(a, str)]
    if architectures:
        said.append(f"architectures {', '.join(architectures)}")
    for key, value in (fingerprint.get("shapes") or {}).items():
        said.append(f"{key} {value}")
    for key, value in (fingerprint.get("tokens") or {}).items():
        said.append(f"{key} {value}")
    if fingerprint.get("tokenizer_class"):
        said.append(f"tokenizer_class {fingerprint['tokenizer_class']}")
    return [text[:200] for text in said[:16]]
