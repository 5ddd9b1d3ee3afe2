"""Juju-compatible hook tools for real charms, served by the reference controller."""
