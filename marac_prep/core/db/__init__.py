"""The database: opening it (`engine`), SQLCipher keying (`keying`), probing a file before
opening it (`probing`), schema revisions and migrations (`schema`) and the unit of work
(`transactions`). Callers import the public names from here."""

from marac_prep.core.db.engine import APP_NAME, ENV_DATABASE, Database, default_database_path, open_database
from marac_prep.core.db.probing import SQLITE_HEADER, filesystem_type, is_encrypted_file, is_postgres_url
from marac_prep.core.db.transactions import is_read_only, unit_of_work

__all__ = [
    "APP_NAME",
    "ENV_DATABASE",
    "SQLITE_HEADER",
    "Database",
    "default_database_path",
    "filesystem_type",
    "is_encrypted_file",
    "is_postgres_url",
    "is_read_only",
    "open_database",
    "unit_of_work",
]
