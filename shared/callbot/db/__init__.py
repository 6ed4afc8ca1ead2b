"""Persistence: SQLAlchemy 2 models, async engines and Alembic migrations."""
