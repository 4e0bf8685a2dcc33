"""Barometer workbook (openpyxl) and CSV open data, built from plain data (no Flask, no SQL)."""
