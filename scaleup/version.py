"""The package's version, in a module of its own so that any layer can read it without importing
the package's facade (``scaleup/__init__.py`` imports the whole evaluation stack)."""

__version__ = "0.2.0"
