"""Paying shoppers: each shop's fee state, payment runs, and what a shopper is owed."""
