"""The report of one visit: a PDF per shop, for owners and staff."""
