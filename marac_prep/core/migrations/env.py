"""Alembic environment: migrations always run on a connection that `open_database` hands in."""

from __future__ import annotations

from alembic import context

from marac_prep.core import models

config = context.config
target_metadata = models.SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
