"""Understanding questions typed in Kazakh or Russian (or both, or in Latin letters).

Free of Telegram and of the database: :mod:`understanding.normalize` turns any spelling into
comparable words, :mod:`understanding.gazetteer` finds the places, offices and services a
question names, :mod:`understanding.intents` finds what it asks (the facts, small talk, or a
subject outside the catalog), and :func:`understanding.engine.Understanding.parse` puts them
together into a :class:`~understanding.engine.Query`.
"""
