"""The HTTP API under /api/v1: resources, token roles, one error shape, an OpenAPI document."""
