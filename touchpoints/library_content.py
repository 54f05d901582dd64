"""The library's checklists for any business: three sets, each a journey file in
library_files/ (their wording and its writing rules: library_files/README.md).

The five classic moments of truth, the basic service processes every business runs, and a
retention checklist built on the seven Cs. Stage names are shared between all sets, so
applying several of them fills the same journey columns.
"""

from __future__ import annotations

from touchpoints.library import TemplateSet, load_sets

# Stage names shared by every set (a journey gets one column per name).
INQUIRY = "Inquiry"
VISIT = "Visit"
SALE = "Sale"
AFTER_SALE = "After the sale"
BILLING = "Billing"

STAGES: tuple[str, ...] = (INQUIRY, VISIT, SALE, AFTER_SALE, BILLING)

TEMPLATE_SETS: tuple[TemplateSet, ...] = load_sets("five-moments", "service-processes", "seven-cs")
