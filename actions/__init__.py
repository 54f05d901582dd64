"""Action items: improvements agreed for a touchpoint, from a shop, a recovery case or a meeting."""
