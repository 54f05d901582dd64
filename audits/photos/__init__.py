"""Photos attached to answers: checked, re-encoded without metadata, stored under DATA_DIR."""
