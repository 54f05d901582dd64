"""The job board: open shops that qualified shoppers claim, visit rules and no-shows."""
