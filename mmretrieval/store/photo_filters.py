"""Photo filters people type (``--after``, ``--before``, ``--camera``, ``--near``) as a filter dict for
``Index.search``/``similar`` (see ``store.build_filter``), checked with errors that show the right format."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from . import payload as P

DATE_FORMAT = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM], e.g. 2024-05-01"
NEAR_FORMAT = "LAT,LON,KM in decimal degrees and kilometres, e.g. 48.8584,2.2945,5 (south/west negative)"


def photo_filter(after: Optional[str] = None, before: Optional[str] = None, camera: Optional[str] = None,
                 near=None, base: Optional[dict] = None) -> Optional[dict]:
    """A filter dict: taken on or after ``after``, before ``before`` (dates or RFC 3339 times), shot with a
    camera whose make/model has the words of ``camera`` (any case), within ``near`` ((lat, lon, km) or
    ``"lat,lon,km"``). Photos without that EXIF field never match its filter. ``base``: other filters to keep."""
    spec = dict(base or {})
    taken = {}
    if after is not None:
        taken["gte"] = parse_date(after, "after")
    if before is not None:
        taken["lt"] = parse_date(before, "before")
    comparable = len(taken) == 2 and (taken["gte"].tzinfo is None) == (taken["lt"].tzinfo is None)
    if comparable and taken["gte"] >= taken["lt"]:
        raise ValueError(f"after ({after}) must be earlier than before ({before}); no photo could match")
    if taken:
        spec[P.TAKEN] = {k: v.isoformat() for k, v in taken.items()}
    if camera is not None:
        if not camera.strip():
            raise ValueError("camera is empty; give words of its make or model, e.g. \"Canon EOS 5D\"")
        spec[P.CAMERA] = {"text": camera.strip()}
    if near is not None:
        lat, lon, km = parse_near(near)
        spec[P.LOCATION] = {"lat": lat, "lon": lon, "km": km}
    return spec or None


def parse_date(value: str, name: str = "date") -> datetime:
    """``"2024-05-01"`` (midnight) or an ISO time (``"2024-05-01T10:20"``, ``"...+02:00"``) as a datetime."""
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date; write {DATE_FORMAT}") from None


def parse_near(value) -> tuple[float, float, float]:
    """``"lat,lon,km"`` (or a 3-sequence) -> checked ``(lat, lon, km)``."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        lat, lon, km = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"near {value!r} is not three numbers; write {NEAR_FORMAT}") from None
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ValueError(f"near {value!r}: latitude must be in -90..90 and longitude in -180..180; write {NEAR_FORMAT}")
    if not km > 0:
        raise ValueError(f"near {value!r}: the radius must be over 0 km; write {NEAR_FORMAT}")
    return lat, lon, km


def images_only(spec: Optional[dict]):
    """``spec`` applied to images only, text passages all kept (RAG: a date or place says which photos)."""
    from qdrant_client import models

    from .filters import build_filter

    if spec is None:
        return None
    text = models.FieldCondition(key=P.KIND, match=models.MatchValue(value=P.KIND_TEXT))
    return models.Filter(should=[text, build_filter(spec)])
