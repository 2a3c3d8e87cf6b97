"""fastapi-ls: a language server with curated FastAPI knowledge."""

__version__ = "0.1.0"
