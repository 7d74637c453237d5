"""Reports: read run records with pandas, write a static HTML site (see site.py)."""

from .site import build_site

__all__ = ["build_site"]
