"""Alembic revisions of the store schema, oldest first (a package so setuptools ships them)."""
