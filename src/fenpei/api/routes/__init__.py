"""API routes, one module per feature; each is thin: parse, call a service, shape the answer."""
