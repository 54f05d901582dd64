"""Alerts for owners (approved shops, overdue cases): raising, listing, dismissing, e-mailing."""
