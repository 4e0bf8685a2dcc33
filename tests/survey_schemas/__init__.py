"""Tests of the pure survey_schemas package (no app needed)."""
