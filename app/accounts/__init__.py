"""Accounts: login and its second step, logout, accepting an invite, the account page."""
