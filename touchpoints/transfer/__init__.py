"""Journeys that travel: a touchpoint or a whole journey as a versioned JSON file (the
format in schema.json, described in docs/guide/journey-files.md), exported from one
organization and imported into another. The template library reads the same files."""
