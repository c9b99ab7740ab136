"""Batch embedding on an existing distributed engine (Ray Data); optional: ``pip install "mmretrieval[ray]"``."""
