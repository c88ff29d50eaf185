"""The business services: cases and their lifecycle, bookings of visits, complaints, and the
hand-off desk. Each works over one unit of work (:mod:`services.unit`); the bot's handlers
and dialogs, the registry API and the background jobs all use them the same way."""
