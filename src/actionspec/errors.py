"""The error a charm sees when Juju refuses one of its calls."""

from __future__ import annotations


class ModelError(Exception):
    """Juju refused a charm's call (ops.ModelError); str() is what the hook tool printed."""
