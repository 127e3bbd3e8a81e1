"""Evaluation of extracted claims against gold corpora."""
