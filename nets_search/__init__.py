"""NETs Search: find the passages of our NETs patient information that answer a question."""

__version__ = "0.1.0"
