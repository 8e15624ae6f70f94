"""Amends management commands (run as `amends <command>`)."""
