"""Use cases: load state, apply the domain/engine, persist through one unit of work."""
