"""app/orgs."""
