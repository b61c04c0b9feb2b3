"""Scheduled work: thin named functions over services, each run by one process at a time."""
