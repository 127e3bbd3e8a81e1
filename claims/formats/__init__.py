"""Formats: comparisons rendered for people (markdown) and for other tools (ClaimReview, PROV)."""
