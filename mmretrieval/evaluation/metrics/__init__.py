"""Metrics: one module per task, each with ``evaluate(...) -> dict`` on embeddings (never on models)."""
