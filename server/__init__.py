"""Baromètre's Flask application: models, services, API, pages, jobs and command line."""
