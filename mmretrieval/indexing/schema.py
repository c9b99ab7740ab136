"""The payload fields mmretrieval writes (the schema filters are checked against)."""

from __future__ import annotations

import re
import warnings

from ..store.payload import IMAGE_FIELDS, PASSAGE_FIELDS

FIELDS = tuple(sorted(set(IMAGE_FIELDS + PASSAGE_FIELDS)))


def unknown_fields(spec) -> list[str]:
    """The keys of a filter dict (``{"width": {"gte": 800}}``) that are not payload fields we write."""
    if not isinstance(spec, dict):
        return []
    return [key for key in spec if re.split(r"[.\[]", key, maxsplit=1)[0] not in FIELDS]


def warn_unknown_fields(spec, hits) -> None:
    """Warn when a search found nothing and its filter names a field outside the schema (likely a typo)."""
    unknown = unknown_fields(spec)
    if unknown and not hits:
        warnings.warn(f"no hits, and the filter field {', '.join(map(repr, unknown))} is not in the payload "
                      f"schema (fields: {', '.join(FIELDS)}); check its spelling", stacklevel=3)
