"""The filter language: a dict of payload field -> value, list, range, text match or geo radius, as a
Qdrant ``Filter`` (what every engine takes; see :mod:`mmretrieval.store.backends.base`)."""

from __future__ import annotations


def build_filter(spec):
    """A Qdrant Filter from a dict: ``{"field": value}`` matches a value, ``{"field": [a, b]}`` any of them,
    ``{"field": {"gte": 1, "lt": 5}}`` a range (of dates when its bounds are RFC 3339 strings or datetimes:
    ``{"taken": {"gte": "2024-01-01T00:00:00"}}``), ``{"field": {"text": "EOS"}}`` a full-text match and
    ``{"location": {"lat": 48.85, "lon": 2.35, "km": 10}}`` a geo radius.
    A Qdrant ``Filter`` (or None) passes through."""
    from qdrant_client import models

    if spec is None or isinstance(spec, models.Filter):
        return spec
    if not isinstance(spec, dict):
        raise ValueError(f"filter must be a dict of payload field -> value, list or range, got {type(spec).__name__}")
    conditions = []
    for key, value in spec.items():
        if isinstance(value, dict):
            conditions.append(_dict_condition(key, value))
        elif isinstance(value, (list, tuple, set)):
            conditions.append(models.FieldCondition(key=key, match=models.MatchAny(any=list(value))))
        else:
            conditions.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=conditions)


def all_of(*filters):
    """Filters (dicts or Qdrant Filters, None ignored) that must all hold, as one Qdrant Filter (or None)."""
    from qdrant_client import models

    built = [build_filter(f) for f in filters if f is not None]
    return None if not built else built[0] if len(built) == 1 else models.Filter(must=built)


def _dict_condition(key: str, value: dict):
    """The condition of one ``{"field": {...}}`` entry: a number or date range, a text match or a geo radius."""
    from datetime import date

    from qdrant_client import models

    if set(value) == {"text"}:
        return models.FieldCondition(key=key, match=models.MatchText(text=str(value["text"])))
    if set(value) == {"lat", "lon", "km"}:
        center = models.GeoPoint(lat=float(value["lat"]), lon=float(value["lon"]))
        radius = models.GeoRadius(center=center, radius=float(value["km"]) * 1000)  # (in metres)
        return models.FieldCondition(key=key, geo_radius=radius)
    unknown = set(value) - {"gt", "gte", "lt", "lte"}
    if unknown:
        raise ValueError(f"filter on {key!r}: unknown range keys {sorted(unknown)}; use gt, gte, lt, lte (a range), "
                         "text (a full-text match) or lat, lon, km (a geo radius)")
    if any(isinstance(bound, (str, date)) for bound in value.values()):
        return models.FieldCondition(key=key, range=models.DatetimeRange(**value))
    return models.FieldCondition(key=key, range=models.Range(**value))
