"""Marac Prep: prepares Marac meetings from every agency's knowledge."""

__version__ = "0.1.0"
