"""SQLAlchemy 2 storage for SQLite (embedded) and PostgreSQL (production)."""
