"""What every HTTP entrypoint shares (API, webhooks, pages): auth dependencies, sessions,
CSRF, error handlers, shared field types and read schemas, input limits, response headers.

Imports neither api/ nor web/; both import it, and fenpei.app composes the two."""
