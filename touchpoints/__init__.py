"""touchpoints."""
