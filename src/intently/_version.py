"""The version of intently (kept apart so that any layer can name it without importing the package's face)."""

__version__ = "0.1.0"
