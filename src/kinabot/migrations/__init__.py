"""Alembic migrations for the question and feedback records, run by ``Store.start()``."""
