"""The gettext catalogs (``kk`` and ``ru``, domain ``messages``); shipped as package data.
Maintained with ``scripts/i18n.py``."""
