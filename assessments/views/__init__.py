"""The web UI for assessments, one module per concern: findings, the scoring policy, exposure, usages."""
