"""`hitbot ...`: one subcommand per process role."""
from __future__ import annotations

import argparse
import logging
import sys

from core.config import get_settings
from core.errors import ConfigError


def _setup() -> None:
    from core.db import init_db

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    init_db(settings.effective_database_url())


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.migrations import LATEST, migrate

    _setup()
    applied = migrate()
    print(f"schema at version {LATEST}" + (f" (applied {applied})" if applied else " (nothing to do)"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hitbot", description="A microtask marketplace that lives in Telegram.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=cmd_migrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"hitbot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
