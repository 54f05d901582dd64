"""A location's coordinates: read from what an owner pastes, checked, and measured against.

No geocoding service is asked (Touchstone is self-hosted and sends addresses nowhere): the
owner pastes "52.5163, 13.3777" (what a map app copies for a point) or a map link that
carries the point, and the page reads the numbers out of it. The distance is the haversine
great-circle distance, good to a few metres at the scale of a shop visit.
"""

from __future__ import annotations

import math
import re

MSG_COORDINATES = (
    "Give the latitude and longitude as two numbers, such as “52.5163, 13.3777” "
    "(copy them from a map app), or leave the field empty."
)
MSG_LATITUDE = "The latitude must be a number from -90 to 90."
MSG_LONGITUDE = "The longitude must be a number from -180 to 180."
MSG_BOTH = "Give both the latitude and the longitude, or neither."

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)

_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
# The forms a point takes in what people copy: "lat, lon" / "lat lon", geo:lat,lon,
# a Google Maps link's "@lat,lon" or "q=lat,lon", OpenStreetMap's "mlat=…&mlon=…" and
# "#map=zoom/lat/lon".
_PATTERNS = (
    re.compile(rf"^\s*\(?\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*\)?\s*$"),
    re.compile(rf"^\s*geo:({_NUMBER}),({_NUMBER})", re.IGNORECASE),
    re.compile(rf"[?&](?:q|query|ll|destination)=({_NUMBER})(?:,|%2C)\s*({_NUMBER})", re.I),
    re.compile(rf"@({_NUMBER}),({_NUMBER})"),
    re.compile(rf"[?&]mlat=({_NUMBER}).*?[?&]mlon=({_NUMBER})"),
    re.compile(rf"#map=\d+(?:\.\d+)?/({_NUMBER})/({_NUMBER})"),
)


def check_latitude(value: float) -> float:
    if not math.isfinite(value) or not -90 <= value <= 90:
        raise ValueError(MSG_LATITUDE)
    return value


def check_longitude(value: float) -> float:
    if not math.isfinite(value) or not -180 <= value <= 180:
        raise ValueError(MSG_LONGITUDE)
    return value


def coordinates_parse(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) from what the owner typed or pasted; None for an empty field;
    ValueError with the message to show next to the field otherwise."""
    text = text.strip()
    if not text:
        return None
    for pattern in _PATTERNS:
        found = pattern.search(text)
        if found:
            lat, lon = float(found.group(1)), float(found.group(2))
            return check_latitude(lat), check_longitude(lon)
    raise ValueError(MSG_COORDINATES)


def coordinates_text(latitude: float | None, longitude: float | None) -> str:
    """The field's text for stored coordinates: "52.5163, 13.3777"; "" without them."""
    if latitude is None or longitude is None:
        return ""
    return (
        f"{latitude:.6f}".rstrip("0").rstrip(".")
        + ", "
        + (f"{longitude:.6f}".rstrip("0").rstrip("."))
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle (haversine) distance between two points, in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
