"""Closing the loop in the reports: recovery rates, measures and action items."""
