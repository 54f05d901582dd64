"""The organization's settings page and API."""
