"""CSV exports of answers and shops."""
