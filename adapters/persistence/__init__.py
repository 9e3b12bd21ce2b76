"""SQLAlchemy persistence: SQLite by default, PostgreSQL when configured."""
