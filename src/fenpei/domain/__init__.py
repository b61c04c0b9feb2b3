"""Pure domain: entities, value objects and errors. Imports nothing but the stdlib."""
