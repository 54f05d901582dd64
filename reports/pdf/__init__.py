"""Printed reports: HTML for WeasyPrint, the PDF cache, meeting packs in the background."""
