"""The command line: ``scaleup`` and its commands (click)."""

from .main import main

__all__ = ["main"]
