"""The shopper's phone flow: filling in a shop, its answers and photos, offline first."""
