"""Tests in a real headless Chromium driven by Playwright (fixtures in ``conftest.py``)."""
