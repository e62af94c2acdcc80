"""nginx configuration rules."""
