"""Durable background jobs (e-mail, meeting packs, the periodic checks) on DBOS: see
docs/jobs.md. `app.jobs.runtime` holds the whole mechanism; the job bodies live with their
features and are registered in app/wiring.py."""
