"""Complaint posters: a location's public key, its form's address and QR code, printable."""
