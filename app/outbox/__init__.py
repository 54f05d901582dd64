"""Outgoing e-mail as durable jobs: each message is a row first, then a job that sends it
once, with retries; owners see what could not be sent and send it again."""
