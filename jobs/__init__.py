"""Background jobs. They sit beside handlers/ and dialogs/, above services and storage: they never
import bot/, handlers/ or dialogs/, and get what they need (the Bot, sessions, the clock, how to
tell people) from the entry point."""
