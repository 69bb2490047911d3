"""Spreadsheet import of vendors, products and model usages: the column set, the parser and the plan (pure)."""
