"""The JSON API under /api/v1 (OpenAPI at /docs), health check, token scopes, idempotency."""
