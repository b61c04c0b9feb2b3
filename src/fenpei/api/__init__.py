"""The JSON API under /api/v1 (OpenAPI at /docs), health check, errors, auth dependencies."""
