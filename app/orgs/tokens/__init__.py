"""API tokens: made, listed, scoped and revoked (settings page, API, CLI)."""
