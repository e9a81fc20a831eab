"""Benchmark: push posts through the batch API (the whole request stack) and print posts/second.

Runs in one transaction that is rolled back at the end, so the database is left as it was.
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
from django.db import transaction
from django.test import Client

from moderation import clock
from moderation import services as mod
from moderation.constants import FlagKind, Platform
from moderation.models import Channel, FlagRule, HouseRule, Post

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
        logging.getLogger("moderation.api.views").setLevel(logging.WARNING)  # one line per batch otherwise
        try:
            with transaction.atomic():
                rate = self.run(posts, batch)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(self.style.SUCCESS(f"{posts} posts in batches of {batch}: {rate:,.0f} posts/s"))

    def run(self, total: int, batch: int) -> float:
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
        return total / elapsed
