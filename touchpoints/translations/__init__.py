"""Checklists in several languages: translations of touchpoints and question versions."""
