"""rightswatch: watch human-rights report pages and report what changed, section by section."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
