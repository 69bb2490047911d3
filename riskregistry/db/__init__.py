"""The project's database backends: Django's own, adjusted where the project's workload needs it."""
