"""The registry's HTTP API for back-office systems (FastAPI), described by its own models."""
