"""Expense claims: what a shopper spent on a shop (with its receipt), approved or rejected."""
