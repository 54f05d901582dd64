"""Locations: the owner pages, edited inline with htmx."""
