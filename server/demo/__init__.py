"""Demo data: a realistic frame, investigators and a campaign built through the real services."""
