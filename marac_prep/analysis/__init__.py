"""Qt-free analysis of loaded case data: gap findings, victim-blaming language, timelines."""
