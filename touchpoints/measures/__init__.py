"""Measures: operational counts kept per touchpoint, entered on the page, the API or a CSV."""
