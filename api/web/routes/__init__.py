"""Page routes, one module per area; all use `PageRoute` and stay out of the OpenAPI schema."""
