"""Service functions behind the routers: keyword-only, no HTTP types, raise api.errors."""
