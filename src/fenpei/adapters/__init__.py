"""Implementations of the service ports: database, files, password hashing."""
