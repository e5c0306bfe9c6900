"""Sign-in, sessions, API tokens and login throttling."""
