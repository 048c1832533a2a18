"""Spreadsheets in and out: agency returns and Marac lists imported, chronologies and templates exported."""
