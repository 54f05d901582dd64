"""Webhooks: owners' endpoints, a delivery row per event and endpoint stored with the event,
signed requests sent by jobs with retries, and endpoints paused when they keep failing."""
