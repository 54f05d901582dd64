"""Fair feedback to shoppers: a reviewer's notes (per question on a return, overall on
approval), the shopper's replies to them, and the review rubric that feeds their record."""
