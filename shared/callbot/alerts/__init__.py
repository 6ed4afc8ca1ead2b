"""Action alerts, scheduled tallies and pledge reminders: what is posted, when, and to whom."""
