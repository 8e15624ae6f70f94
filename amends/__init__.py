"""Amends: respond to, repair, learn from and prevent damaged client relationships."""

__version__ = "0.1.0"
