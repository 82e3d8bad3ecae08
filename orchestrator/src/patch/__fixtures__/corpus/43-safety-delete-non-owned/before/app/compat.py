"""Shims for callers that still use the pre-2.0 helper names."""
import warnings

from app.slugify import slugify


def make_slug(value: str) -> str:
    warnings.warn("make_slug is deprecated; use slugify", DeprecationWarning, stacklevel=2)
    return slugify(value)


def safe_title(value: str) -> str:
    warnings.warn("safe_title is deprecated; use str.strip", DeprecationWarning, stacklevel=2)
    return value.strip()
