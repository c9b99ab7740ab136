"""What a photo's EXIF and XMP say about it (taken date, camera, place, orientation), as payload fields.

Read from the image the indexer already opened (``mmretrieval.images.PhotoTags``: its Exif and GPS IFDs,
and its XMP packet). A tag that is missing or garbled leaves its field out; nothing here ever fails a file.

The date taken is, in order: EXIF DateTimeOriginal, EXIF DateTimeDigitized (``taken_source`` "exif");
XMP exif:DateTimeOriginal, XMP xmp:CreateDate ("xmp"); EXIF DateTime, which is when a program last
saved the file ("exif-modified").
"""

from __future__ import annotations

import re
from typing import Optional
from xml.etree import ElementTree

from ..store import payload as P

_DATETIME, _MAKE, _MODEL, _ORIENTATION = 0x0132, 0x010F, 0x0110, 0x0112  # IFD0
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 0x9003, 0x9004  # Exif IFD
_OFFSET_TIME, _OFFSET_TIME_ORIGINAL, _OFFSET_TIME_DIGITIZED = 0x9010, 0x9011, 0x9012
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4  # GPS IFD
_XMP_ORIGINAL = "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal"
_XMP_CREATED = "{http://ns.adobe.com/xap/1.0/}CreateDate"
# EXIF "2024:05:01 10:20:30"; XMP (ISO 8601) "2024-05-01T10:20:30.5+02:00", seconds optional
_DATE = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d*)?)?"
                   r"\s*(Z|[+-]\d{2}:\d{2})?")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def photo_metadata(exif, xmp: Optional[bytes] = None) -> dict:
    """The payload fields (``taken``, ``taken_source``, ``camera_make``, ``camera_model``, ``camera``,
    ``location``, ``orientation``) that ``exif`` (a PIL ``Image.Exif``) and ``xmp`` (the XMP packet) hold;
    ``{}`` for none."""
    meta: dict = {}
    try:
        taken, source = _taken(exif, _ifd(exif, _EXIF_IFD), xmp)
        make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
        location = _location(_ifd(exif, _GPS_IFD))
        orientation = exif.get(_ORIENTATION)
    except Exception:  # noqa: BLE001  (a garbled EXIF block: the photo is indexed without it)
        return meta
    if taken:
        meta[P.TAKEN], meta[P.TAKEN_SOURCE] = taken, source
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
    from ..images import read_photo_tags

    try:
        return photo_metadata(*read_photo_tags(data))
    except Exception:  # noqa: BLE001  (unreadable header: no metadata, and the indexer reports the file)
        return {}


def _ifd(exif, tag: int) -> dict:
    try:
        return exif.get_ifd(tag) or {}
    except Exception:  # noqa: BLE001
        return {}


def _text(value) -> str:
    """An EXIF string as exiftool reads it: up to its first NUL, whitespace runs made one space."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.split("\x00", 1)[0].split()) if isinstance(value, str) else ""


def _taken(exif, exif_ifd: dict, xmp) -> tuple[Optional[str], Optional[str]]:
    """The date taken and where it came from (see the module docstring), or (None, None)."""
    dates = _xmp_dates(xmp) if xmp else {}
    for value, offset, source in (
        (exif_ifd.get(_DATETIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL), "exif"),
        (exif_ifd.get(_DATETIME_DIGITIZED), exif_ifd.get(_OFFSET_TIME_DIGITIZED), "exif"),
        (dates.get(_XMP_ORIGINAL), None, "xmp"),
        (dates.get(_XMP_CREATED), None, "xmp"),
        (exif.get(_DATETIME), exif_ifd.get(_OFFSET_TIME), "exif-modified"),
    ):
        taken = _date(value, offset)
        if taken:
            return taken, source
    return None, None


def _date(value, offset) -> Optional[str]:
    """``"2024:05:01 10:20:30"`` (+ ``"+02:00"``) or ``"2024-05-01T10:20:30+02:00"`` ->
    ``"2024-05-01T10:20:30+02:00"`` (RFC 3339), or None."""
    match = _DATE.match(_text(value))
    if not match:
        return None
    y, mo, d, h, mi = (int(x) for x in match.groups()[:5])
    s, inline_zone = int(match.group(6) or 0), match.group(7)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61) or y == 0:
        return None  # "0000:00:00 00:00:00" is what cameras write for "unset"
    stamp = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{min(s, 59):02d}"
    zone = _OFFSET.match("+00:00" if inline_zone == "Z" else inline_zone or _text(offset))
    return stamp + (f"{zone.group(1)}{zone.group(2)}:{zone.group(3)}" if zone else "")


def _xmp_dates(xmp: bytes) -> dict:
    """The XMP packet's DateTimeOriginal and CreateDate (as attributes or elements, any prefix), by name."""
    try:
        root = ElementTree.fromstring(xmp.strip(b"\x00 \t\r\n"))
    except (ElementTree.ParseError, ValueError):  # no XML, or not well-formed: no XMP dates
        return {}
    found: dict = {}
    for element in root.iter():
        for name in (_XMP_ORIGINAL, _XMP_CREATED):
            value = element.attrib.get(name) or (element.text if element.tag == name else None)
            if value:
                found.setdefault(name, value)
    return found


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
