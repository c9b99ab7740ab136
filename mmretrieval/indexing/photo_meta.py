"""What a photo's EXIF says about it (taken date, camera, place, orientation), as payload fields.

Read from the image the indexer already opened (``Image.getexif()``: its Exif and GPS IFDs). A tag
that is missing or garbled leaves its field out; nothing here ever fails a file.
"""

from __future__ import annotations

import io
import re
from typing import Optional

from ..store import payload as P

_DATETIME, _MAKE, _MODEL, _ORIENTATION = 0x0132, 0x010F, 0x0110, 0x0112  # IFD0
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9010, 0x9011  # Exif IFD
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4  # GPS IFD
_EXIF_DATE = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def photo_metadata(exif) -> dict:
    """The payload fields (``taken``, ``camera_make``, ``camera_model``, ``camera``, ``location``,
    ``orientation``) that ``exif`` (a PIL ``Image.Exif``) holds; ``{}`` for none."""
    meta: dict = {}
    try:
        exif_ifd = _ifd(exif, _EXIF_IFD)
        taken = _taken(exif_ifd.get(_DATETIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL)) or \
            _taken(exif.get(_DATETIME), exif_ifd.get(_OFFSET_TIME))
        make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
        location = _location(_ifd(exif, _GPS_IFD))
        orientation = exif.get(_ORIENTATION)
    except Exception:  # noqa: BLE001  (a garbled EXIF block: the photo is indexed without it)
        return meta
    if taken:
        meta[P.TAKEN] = taken
    if make:
        meta[P.CAMERA_MAKE] = make
    if model:
        meta[P.CAMERA_MODEL] = model
    if make or model:  # "Canon EOS 5D", not "Canon Canon EOS 5D"
        meta[P.CAMERA] = model if make and model and model.lower().startswith(make.lower()) else \
            " ".join(x for x in (make, model) if x)
    if location:
        meta[P.LOCATION] = location
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        meta[P.ORIENTATION] = orientation
    return meta


def read_photo_metadata(data: bytes) -> dict:
    """:func:`photo_metadata` of an encoded image, reading its header only (no pixels decoded)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            return photo_metadata(image.getexif())
    except Exception:  # noqa: BLE001  (unreadable header: no metadata, and the indexer reports the file)
        return {}


def _ifd(exif, tag: int) -> dict:
    try:
        return exif.get_ifd(tag) or {}
    except Exception:  # noqa: BLE001
        return {}


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.replace("\x00", " ").split()) if isinstance(value, str) else ""


def _taken(value, offset) -> Optional[str]:
    """``"2024:05:01 10:20:30"`` (+ ``"+02:00"``) -> ``"2024-05-01T10:20:30+02:00"`` (RFC 3339), or None."""
    match = _EXIF_DATE.match(_text(value))
    if not match:
        return None
    y, mo, d, h, mi, s = (int(x) for x in match.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61) or y == 0:
        return None  # "0000:00:00 00:00:00" is what cameras write for "unset"
    stamp = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{min(s, 59):02d}"
    zone = _OFFSET.match(_text(offset))
    return stamp + (f"{zone.group(1)}{zone.group(2)}:{zone.group(3)}" if zone else "")


def _location(gps: dict) -> Optional[dict]:
    """``{"lat", "lon"}`` in decimal degrees (a Qdrant geo point) from the GPS IFD, or None."""
    lat = _degrees(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "S")
    lon = _degrees(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        return None
    return {"lat": round(lat, 7), "lon": round(lon, 7)}


def _degrees(dms, ref, negative: str) -> Optional[float]:
    """Degrees, minutes, seconds (rationals) and an N/S or E/W ref -> signed decimal degrees."""
    try:
        parts = [float(x) for x in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or any(x != x or x < 0 for x in parts):  # (x != x: a 0/0 rational is NaN)
        return None
    value = sum(x / 60**i for i, x in enumerate(parts))
    return -value if _text(ref).upper().startswith(negative) else value
