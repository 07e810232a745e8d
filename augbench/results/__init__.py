"""The run record (one row per cell), its metric table, the SQLite store and CSV/JSON exports."""
