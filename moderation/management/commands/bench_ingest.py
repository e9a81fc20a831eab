"""Benchmark: push posts through the batch API (the whole request stack) and print posts/second.

Then, as the yardstick, the same rows go into the same table by a raw PostgreSQL ``COPY`` (no
request, no validation, no flags: the fastest way in there is) and the API's rate is printed as a
share of it. Runs in one transaction that is rolled back at the end, so the database is left as it
was.
Flag rules are evaluated as in production: a word list, UK phone numbers, emails, postcodes and
repeat contact are active during the run. `make bench-ingest` runs it with 100,000 posts.
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client

from moderation import clock
from moderation import services as mod
from moderation.constants import FlagKind, Platform, PostKind, Visibility
from moderation.models import Channel, FlagRule, HouseRule, Post, SocialAccount

WORDS = "bins recycling council parking planning road library park collection garden waste thanks".split()


def bench_flag_rules() -> None:
    """The flag rules active during a benchmark: every kind of detector, as in production."""
    abusive = HouseRule.objects.get(code="abusive")
    spam = HouseRule.objects.get(code="spam")
    for name, kind, rule, extra in [
        ("bench words", FlagKind.WORD_LIST, abusive, {"terms": "idiot\nscum\nmorons"}),
        ("bench phones", FlagKind.PHONE_NUMBER, abusive, {}),
        ("bench emails", FlagKind.EMAIL_ADDRESS, abusive, {}),
        ("bench postcodes", FlagKind.POSTCODE, abusive, {}),
        ("bench repeat", FlagKind.REPEAT_CONTACT, spam, {"repeat_threshold": 5, "repeat_window_minutes": 10}),
    ]:
        FlagRule.objects.get_or_create(name=name, defaults={"kind": kind, "house_rule": rule, **extra})


class Rollback(Exception):
    """Raised to undo the benchmark's writes."""


class Command(BaseCommand):
    help = "Push N posts through POST /api/v1/posts/ in batches and print posts/second (nothing is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=100_000)
        parser.add_argument("--batch", type=int, default=1_000)

    def handle(self, *args, posts: int, batch: int, **options):
        for name in ("moderation.api.views", "moderation.request"):  # one line per batch otherwise
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                rate, copy_rate = self.run(posts, batch)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(
            self.style.SUCCESS(
                f"{posts} posts in batches of {batch}: {rate:,.0f} posts/s through the API; "
                f"a raw COPY of the same rows into the same table: {copy_rate:,.0f} posts/s; "
                f"the API is {rate / copy_rate:.0%} of COPY"
            )
        )

    def run(self, total: int, batch: int) -> tuple[float, float]:
        channel, _ = Channel.objects.get_or_create(
            platform=Platform.FACEBOOK, handle="bench-page", defaults={"name": "Benchmark page"}
        )
        bench_flag_rules()
        _, token = mod.integration_create(actor=None, name=f"bench {time.time_ns()}", channels=[channel])
        client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
        random.seed(7)
        start_at = clock.now() - timedelta(days=7)
        bodies = []
        for first in range(0, total, batch):
            items = []
            for n in range(first, min(first + batch, total)):
                text = " ".join(random.choices(WORDS, k=12))  # noqa: S311 - test data
                if n % 50 == 0:
                    text += " you idiot"
                if n % 97 == 0:
                    text += " call me on 07911 123456"
                items.append(
                    {
                        "channel": channel.handle,
                        "external_id": f"bench-{n}",
                        "author_handle": f"resident{n % 5000}",
                        "text": text,
                        "posted_at": (start_at + timedelta(seconds=n)).isoformat(),
                    }
                )
            bodies.append(json.dumps(items))
        began = time.perf_counter()
        for body in bodies:
            response = client.post("/api/v1/posts/?atomic=true", body, content_type="application/json")
            if response.status_code != 201:
                raise SystemExit(f"the API answered {response.status_code}: {response.content[:300]!r}")
        elapsed = time.perf_counter() - began
        stored = Post.objects.filter(channel=channel).count()
        if stored != total:
            raise SystemExit(f"{stored} posts stored, expected {total}")
        return total / elapsed, self.copy_rate(channel, bodies, total)

    def copy_rate(self, channel: Channel, bodies: list[str], total: int) -> float:
        """The same rows, by the same authors, into the same table (its indexes and triggers) by COPY."""
        accounts = dict(SocialAccount.objects.filter(platform=channel.platform).values_list("handle", "pk"))
        now = clock.now()
        rows = [
            (
                channel.pk,
                accounts[item["author_handle"]],
                f"copy-{item['external_id']}",
                "",
                item["text"],
                PostKind.COMMENT,
                item["posted_at"],
                Visibility.VISIBLE,
                now,
                "",
            )
            for body in bodies
            for item in json.loads(body)
        ]
        columns = "channel_id, account_id, external_id, url, text, kind, posted_at, visibility, created_at, in_reply_to"
        began = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.connection.cursor().copy(f"COPY {Post._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        elapsed = time.perf_counter() - began
        copied = Post.objects.filter(channel=channel, external_id__startswith="copy-").count()
        if copied != total:
            raise SystemExit(f"{copied} posts copied, expected {total}")
        return total / elapsed
