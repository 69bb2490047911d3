"""Lineage where the metadata is silent: a model's base family inferred from its config, tokenizer and README.

Pure: no HTTP, no database. ``fingerprint_from`` reads what identifies a model; ``infer`` compares a repo with
the fingerprints of known models and returns candidate parents, each with a relation guess, a confidence in
[0, 1] and the evidence (the fields that matched and those that did not).
"""

from vendors.lineage.inference.compare import Comparison, ConfigMatch, TokenizerMatch, compare
from vendors.lineage.inference.fingerprint import Fingerprint, chat_markers, fingerprint_from
from vendors.lineage.inference.infer import Candidate, Exposed, InferredSource, Reference, infer, telling_files
from vendors.lineage.inference.readme import readme_claims, readme_digest, says_merge

__all__ = [
    "Candidate",
    "Comparison",
    "ConfigMatch",
    "Exposed",
    "Fingerprint",
    "InferredSource",
    "Reference",
    "TokenizerMatch",
    "chat_markers",
    "compare",
    "fingerprint_from",
    "infer",
    "readme_claims",
    "readme_digest",
    "says_merge",
    "telling_files",
]
