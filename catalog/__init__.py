"""The service catalog as data: the standards (``standards/*.toml``), the services, places,
Public Service Centres, indicators, booking rules and lexicon, and the source texts. Read by
:func:`domain.catalog.load_catalog`; shipped as package data."""
