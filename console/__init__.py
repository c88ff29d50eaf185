"""The staff console: cases, complaints, visits, hand-offs and the audit log in a browser
(FastAPI + jinja2, served by ``run_bot.py`` when ``CONSOLE_ENABLED``; see the README)."""
