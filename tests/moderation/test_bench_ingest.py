"""The ingest benchmark measures the API against a raw COPY of the same rows, and keeps nothing."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from moderation.models import Post

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_ingest_benchmark_reports_the_api_as_a_share_of_copy_and_leaves_nothing_behind():
    out = StringIO()
    call_command("bench_ingest", posts=60, batch=25, stdout=out)
    line = out.getvalue()
    assert re.search(r"60 posts in batches of 25: [\d,]+ posts/s through the API", line), line
    assert re.search(r"a raw COPY of the same rows into the same table: [\d,]+ posts/s", line), line
    assert re.search(r"the API is \d+% of COPY", line), line
    assert not Post.objects.exists()  # both runs rolled back
