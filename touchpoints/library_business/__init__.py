"""Whole journeys written for one kind of business, one journey file each in library_files/.

Every journey uses the stage names of library_content (Inquiry, Visit, Sale, After the sale,
Billing), so a restaurant added next to the five moments of truth fills the same columns
instead of doubling them. Touchpoints here carry shorter checklists (four to six questions)
than the general sets: a shop that walks the whole journey must stay fillable on a phone.
"""

from __future__ import annotations

from touchpoints.library import TemplateSet, load_sets

BUSINESS_SETS: tuple[TemplateSet, ...] = load_sets(
    "restaurant", "hotel", "retail", "dealership", "bank", "clinic", "call-centre"
)
