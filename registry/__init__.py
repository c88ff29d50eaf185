"""The registry backend: cases and their lifecycle, shared by the clerks' chat and the HTTP API."""
