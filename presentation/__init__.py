"""What people read, shared by the bot, its jobs and the API: templates and their rendering,
translations (gettext, babel), names of statuses and moves, answers to questions, notices,
callback data and filters."""
