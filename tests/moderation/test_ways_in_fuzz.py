"""Issue 10's acceptance: a Hypothesis fuzz of each way posts come in (the API's items, a Meta
webhook delivery, a CSV row). Generated: nesting (within and far beyond the limit), every Unicode
category, lone surrogates, control characters, huge fields, wrong types. Checked every time:
the answer is a 4xx JSON or a per-item status, never a 5xx; no good item is lost.

Each example runs in a savepoint that is rolled back, so examples do not see each other's posts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from moderation import csvfiles, imports, intake, services
from moderation.constants import Platform
from moderation.models import Channel, CsvImport, Post
from tests import factories

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),  # FUZZ_EXAMPLES=2000 for a longer hunt
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECRET = "fuzz-app-secret"
PAGE_ID = "104857600123"
IG_ID = "17841400000000001"

# --- what is generated ---------------------------------------------------------------------------

controls = st.sampled_from([chr(c) for c in [*range(0, 32), *range(0x7F, 0xA0)]])
surrogates = st.characters(categories=["Cs"])
# every category, with lone surrogates (Cs) and controls drawn often, not only by chance
any_char = st.one_of(st.characters(exclude_categories=()), surrogates, controls)
any_text = st.text(any_char, max_size=40)
huge_text = st.integers(min_value=201, max_value=20_000).map(lambda n: "x" * n)
poison_string = st.one_of(
    st.builds(lambda a, s, b: a + s + b, any_text, surrogates, any_text),
    st.builds(lambda a, c, b: a + c + b, any_text, controls, any_text),
    huge_text,
    any_text,
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=12,
)
poison_value = st.one_of(poison_string, json_values)
ident = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=30)
digits = st.text("0123456789", min_size=1, max_size=18)
past_times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001
IDENTIFIERS = ["channel", "external_id", "author_handle", "author_platform_id", "url", "posted_at", "in_reply_to"]


def nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def good_items(draw, n: int) -> dict:
    """A valid post whatever its free text holds (surrogates and controls in text are repaired)."""
    return {
        "channel": draw(st.sampled_from(["northhertsdc", "@NorthHertsDC", " northhertsdc "])),
        "external_id": f"good-{n}-{draw(ident)}",
        "author_handle": "@" + draw(ident),
        "author_display_name": draw(st.one_of(any_text, st.builds(lambda s: "a" + s, surrogates))),
        "text": draw(st.one_of(any_text, st.text(any_char, max_size=3000))),
        "kind": draw(st.sampled_from(["comment", "reply", "mention", "direct_message"])),
        "posted_at": draw(past_times).isoformat(),
    }


@st.composite
def bad_items(draw, n: int) -> object:
    """A good item with identifiers poisoned, fields of the wrong type, or not an item at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    item = draw(good_items(n))
    item["external_id"] = f"bad-{n}"
    for field in draw(st.lists(st.sampled_from(IDENTIFIERS), min_size=1, max_size=3, unique=True)):
        value = draw(poison_value)
        if isinstance(value, str) and not intake.identifier_problem(value.strip()) and len(value) <= 120:
            value = value + "\ud800"  # make sure it is poison
        item[field] = value
    return item


@st.composite
def batches(draw) -> tuple[list, list[int]]:
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=12))
    items = [draw(good_items(n)) if good else draw(bad_items(n)) for n, good in enumerate(kinds)]
    return items, [n for n, good in enumerate(kinds) if good]


def rolled_back(check):
    """Run ``check`` in a savepoint that is always rolled back: one example sees none of another's posts."""
    cache.clear()  # throttle counts
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def assert_json(response):
    assert response.status_code < 500, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def api(db):
    facebook = factories.ChannelFactory(name="North Herts Council", handle="northhertsdc", platform=Platform.FACEBOOK)
    _, token = services.integration_create(actor=None, name="Fuzz", channels=[facebook])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def api_post(client, body: bytes):
    return client.post("/api/v1/posts/", data=body, content_type="application/json")


@FUZZ
@given(batch=batches(), single=st.booleans())
def test_api_items(api, batch, single):
    items, good = batch
    if single:  # one object, not a list of one
        items, good = items[:1], [0] if 0 in good else []
        if not isinstance(items[0], dict):
            items = [{"not_a_post": items[0]}]

    def check():
        body = json.dumps(items[0] if single else items).encode()  # surrogates travel as \\ud800 escapes
        answer = assert_json(api_post(api, body))
        if len(body) > 2 * 1024 * 1024:
            assert answer["detail"]
            return
        statuses = [i["status"] for i in answer["items"]]
        assert len(statuses) == len(items)
        for n in good:
            assert statuses[n] == "created", (n, answer["items"][n])
        stored = set(Post.objects.values_list("external_id", flat=True))
        assert {items[n]["external_id"] for n in good} <= stored
        for n, status in enumerate(statuses):  # an item refused is not stored (some "bad" ones are fine)
            if n not in good and status == "invalid":
                assert f"bad-{n}" not in stored

    rolled_back(check)


@FUZZ
@given(
    depth=st.integers(min_value=intake.MAX_JSON_DEPTH + 1, max_value=120_000), where=st.sampled_from(["body", "field"])
)
def test_api_deep_nesting(api, depth, where):
    if where == "body":
        body = b"[" * depth + b"]" * depth
    else:
        body = b'{"channel": "northhertsdc", "text": ' + b"[" * depth + b"]" * depth + b"}"

    def check():
        response = api_post(api, body)
        assert response.status_code == 400
        assert assert_json(response)["detail"]

    rolled_back(check)


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(any_char, max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_api_any_bytes(api, raw):
    rolled_back(lambda: assert_json(api_post(api, raw)))


# --- Meta's webhook ------------------------------------------------------------------------------


@pytest.fixture
def meta(client, settings, db):
    settings.META_APP_SECRET = SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = "fuzz-verify"
    factories.ChannelFactory(name="NHDC Facebook", handle=PAGE_ID, platform=Platform.FACEBOOK)
    factories.ChannelFactory(
        name="NHDC Instagram",
        handle="northhertsdc",
        platform=Platform.INSTAGRAM,
        url=f"https://business.facebook.com/latest/home?asset_id={IG_ID}",
    )
    return client


def deliver(client, body: bytes):
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/webhooks/meta/", data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )


@st.composite
def good_comments(draw, platform: str, n: int) -> dict:
    comment_id = f"{n}_{draw(digits)}"
    text = draw(st.one_of(any_text, st.text(any_char, max_size=3000)))
    if platform == "page":
        return {
            "field": "feed",
            "value": {
                "item": "comment",
                "verb": "add",
                "comment_id": comment_id,
                "post_id": "1111",
                "parent_id": draw(st.sampled_from(["1111", "1111_5"])),
                "message": text,
                "from": {"id": "9" + draw(digits), "name": draw(any_text)},
                "created_time": int(draw(past_times).timestamp()),
            },
        }
    return {
        "field": "comments",
        "value": {
            "id": comment_id,
            "text": text,
            "from": {"id": draw(digits), "username": draw(ident)},
            "media": {"id": "17900000000000009"},
        },
    }


@st.composite
def bad_changes(draw, platform: str, n: int) -> object:
    if draw(st.integers(0, 4)) == 0:
        return draw(json_values)
    change = draw(good_comments(platform, n))
    value = change["value"]
    fields = ["comment_id", "parent_id", "post_id", "verb", "created_time"] if platform == "page" else ["id", "media"]
    for field in draw(st.lists(st.sampled_from([*fields, "from"]), min_size=1, max_size=3, unique=True)):
        poison = draw(poison_value)
        if field == "from":
            poison = {"id": poison, "name": draw(poison_value), "username": poison}
        value[field] = poison
    return change


@st.composite
def deliveries(draw) -> tuple[dict, set[str]]:
    platform = draw(st.sampled_from(["page", "instagram"]))
    entry_id = PAGE_ID if platform == "page" else IG_ID
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=10))
    changes = [
        draw(good_comments(platform, n)) if good else draw(bad_changes(platform, n)) for n, good in enumerate(kinds)
    ]
    good_ids = set()
    for n, good in enumerate(kinds):
        if good:
            value = changes[n]["value"]
            good_ids.add(value["comment_id"] if platform == "page" else value["id"])
    # good ids start with their own index, so a poisoned change cannot repeat one
    entry = {"id": entry_id, "time": int(draw(past_times).timestamp()), "changes": changes}
    extra = draw(st.lists(json_values, max_size=2))  # entries that are not entries
    return {"object": platform, "entry": [entry, *extra]}, good_ids


@FUZZ
@given(delivery=deliveries())
def test_webhook_deliveries(meta, delivery):
    payload, good_ids = delivery

    def check():
        response = deliver(meta, json.dumps(payload).encode())
        assert response.status_code == 200, response.content[:300]
        assert assert_json(response) == {"received": True}
        stored = set(Post.objects.values_list("external_id", flat=True))
        assert good_ids <= stored

    rolled_back(check)


@FUZZ
@given(depth=st.integers(min_value=intake.MAX_JSON_DEPTH + 1, max_value=120_000))
def test_webhook_deep_nesting(meta, depth):
    body = b'{"object": "page", "entry": ' + b"[" * depth + b"]" * depth + b"}"

    def check():
        response = deliver(meta, body)
        assert response.status_code == 400
        assert assert_json(response)["detail"]
        assert not Post.objects.exists()

    rolled_back(check)


# --- a CSV row -----------------------------------------------------------------------------------

CSV_HEADINGS = ["Channel", "Post ID", "From Handle", "From", "Date", "Message", "Link"]
CSV_COLUMNS = {
    "channel": "Channel",
    "external_id": "Post ID",
    "author_handle": "From Handle",
    "author_display_name": "From",
    "posted_at": "Date",
    "text": "Message",
    "url": "Link",
}
csv_cell = st.text(st.characters(exclude_categories=["Cs"]), max_size=60) | huge_text  # a file is UTF-8: no surrogates


@pytest.fixture
def reader(db):
    factories.ChannelFactory(name="North Herts Council", handle="northhertsdc", platform=Platform.FACEBOOK)
    table = csvfiles.Table(headings=CSV_HEADINGS, rows=[], numbers=[], delimiter=",", wide={})
    return imports.RowReader(CsvImport(columns=CSV_COLUMNS), table, channels=list(Channel.objects.all()))


@FUZZ
@given(row=st.lists(csv_cell, min_size=len(CSV_HEADINGS), max_size=len(CSV_HEADINGS)), good=st.booleans())
def test_csv_rows(reader, row, good):
    if good:
        row[0], row[1], row[2], row[4], row[6] = "northhertsdc", "post-1", "@resident", "01/03/2025 14:05", ""
        row[3] = row[3][:100]
    checked = reader.check(2, row)
    if good:
        assert not isinstance(checked, list), checked
        assert checked.external_id == "post-1"
    else:
        assert isinstance(checked, list) or checked.channel.handle == "northhertsdc"
    if isinstance(checked, list):
        for problem in checked:
            problem.as_dict()["message"].encode("utf-8")  # every message can be shown
