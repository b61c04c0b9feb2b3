"""What every HTTP entrypoint shares (API, webhooks, pages): input limits, response headers."""
