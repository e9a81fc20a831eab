"""A bounded load run against gunicorn on the bench database (``make bench-scale`` runs it after
``bench_scale``): req/s, p50, p99 and errors for the queue and a case page. See ``config.loadrun``."""

from __future__ import annotations

import psycopg
from django.core.management import BaseCommand, CommandError
from django.db import connection, connections

from config import loadrun


class Command(BaseCommand):
    help = "gunicorn (production settings, 2 sync workers) under load on the bench database: req/s, p99, errors."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="moderation_bench", help="The database bench_scale built.")
        parser.add_argument("--seconds", type=int, default=20, help="Per page, 30 at most.")
        parser.add_argument("--threads", type=int, default=8, help="Clients asking at once.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")

    def handle(self, *args, database, seconds, threads, workers, **options):
        settings_dict = connections["default"].settings_dict
        try:
            with psycopg.connect(
                host=settings_dict.get("HOST") or None,
                port=settings_dict.get("PORT") or None,
                user="postgres",
                dbname="postgres",
                autocommit=True,
            ) as admin:
                if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                    raise CommandError(f"No database {database}: run manage.py bench_scale first.")
        except psycopg.Error as error:
            raise CommandError(f"Cannot reach the PostgreSQL server as postgres: {error}") from error
        connection.close()
        settings_dict.update(NAME=database, USER="postgres", PASSWORD="")
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(id) FROM moderation_case WHERE status = 'open'")
            case = cursor.fetchone()[0]
        self.stdout.write(f"Load run on {database}, {seconds} s a page:")
        results = loadrun.run(
            ["/cases/", f"/cases/{case}/"], seconds=seconds, threads=threads, workers=workers, stdout=self.stdout
        )
        if any(r.errors for r in results):
            raise CommandError("Some requests failed: see the figures above.")
