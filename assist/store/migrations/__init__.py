"""Alembic migration scripts for the Assist store (run them through ``assist.store.migrate``).

This is a package only so that setuptools ships ``env.py`` and ``versions/`` with ``assist``.
"""
