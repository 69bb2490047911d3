"""What we conclude about vendors: questionnaires, scoring, findings, attestations and reports."""
