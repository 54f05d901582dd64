"""Whole journeys written for one kind of business, one module each.

Every journey uses the stage names of library_content (Inquiry, Visit, Sale, After the sale,
Billing), so a restaurant added next to the five moments of truth fills the same columns
instead of doubling them. Touchpoints here carry shorter checklists (four to six questions)
than the general sets: a shop that walks the whole journey must stay fillable on a phone.
"""

from __future__ import annotations

from touchpoints.library import TemplateSet
from touchpoints.library_business.bank import BANK
from touchpoints.library_business.call_centre import CALL_CENTRE
from touchpoints.library_business.clinic import CLINIC
from touchpoints.library_business.dealership import DEALERSHIP
from touchpoints.library_business.hotel import HOTEL
from touchpoints.library_business.restaurant import RESTAURANT
from touchpoints.library_business.retail import RETAIL

BUSINESS_SETS: tuple[TemplateSet, ...] = (
    RESTAURANT,
    HOTEL,
    RETAIL,
    DEALERSHIP,
    BANK,
    CLINIC,
    CALL_CENTRE,
)
