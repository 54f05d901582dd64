"""The language a shop is filled in: the shopper picks one of the organization's languages."""
