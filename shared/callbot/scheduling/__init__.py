"""The scheduler: one leader per database runs the alert, tally, reminder and refresh jobs."""
