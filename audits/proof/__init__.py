"""Proof of visit: when the phone says the visit started and ended, kept at each hand-in and
shown to the reviewer (owners) only."""
