"""Bundled resources: demo conversations, macros, example profile and KB."""
