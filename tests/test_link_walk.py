"""No page links to a page its reader cannot open (issue 10, item 4).

As each role, start from every workspace page the role may open (the table of
``tests/test_permission_walk.py``), follow every link on every page reached, and require each
one to open: 200, or a redirect that ends on a page that opens. A link answering 403 (or 404, or
sending a signed-in user to sign in) is a dead end.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from tests.test_permission_walk import GET_ACCESS, OK, ROLES, url_for, world  # noqa: F401 (world is a fixture)

pytestmark = pytest.mark.django_db

MAX_PAGES = 400
DEMO_PAGES = 150  # breadth first: every kind of page of the demo data is within the first 150
SKIP_PREFIXES = ("/static/", "/api/", "/sign-out", "/accounts/logout")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        href, _ = urldefrag(href)
        parts = urlsplit(href)
        if not href or parts.scheme or parts.netloc or href.startswith(("mailto:", "tel:")):
            continue  # another site, or this page's own anchor
        found.append(href)
    return found


def is_variant(url: str) -> bool:
    """Sorted or multi-filtered versions of a list (the same links again): walked once, bare."""
    query = urlsplit(url).query
    return "sort=" in query or "&" in query


def absolute(href: str, page: str) -> str:
    if href.startswith("?"):
        return urlsplit(page).path + href
    return href


def walk(client, start: list[str], max_pages: int = MAX_PAGES) -> tuple[int, list[str]]:
    """Follow every link from ``start``, breadth first; return the pages fetched and the dead ends."""
    queue = deque((url, "(start)") for url in start)
    seen = set(start)
    dead = []
    fetched = 0
    while queue and fetched < max_pages:
        url, came_from = queue.popleft()
        fetched += 1
        response = client.get(url, follow=True)
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        if response.status_code != 200 or final.startswith(reverse("sign_in")):
            dead.append(f"{came_from} → {url}: {response.status_code} (ended at {final})")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in links_of(response.content.decode()):
            target = absolute(href, final)
            if target.startswith(SKIP_PREFIXES) or target in seen or is_variant(target):
                continue
            seen.add(target)
            queue.append((target, url))
    return fetched, sorted(set(dead))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_every_link_on_every_page_opens(role, client, world):  # noqa: F811
    users, objects = world
    client.force_login(users[role])
    index = ROLES.index(role) - 1
    start = [reverse("home")] + [
        url_for(name, kwargs, objects) for name, (kwargs, statuses) in GET_ACCESS.items() if statuses[index] == OK
    ]
    fetched, dead = walk(client, start)
    assert fetched >= len(start)
    assert not dead, f"as {role}, links that do not open:\n" + "\n".join(dead)


@pytest.fixture
def demo(settings, tmp_path):
    """The demo data: cases at every stage (decided appeals, lifted blocks, refused sign-offs …)."""
    settings.DEBUG = True
    settings.DEMO_PASSWORDS_PATH = tmp_path / "demo-passwords.json"
    call_command("seed_demo")


@pytest.mark.parametrize("username", ["olivia", "maya", "sam", "martha"])
def test_every_link_opens_on_the_demo_data(username, client, demo):
    client.force_login(get_user_model().objects.get(username=username))
    start = [reverse("home")]
    fetched, dead = walk(client, start, max_pages=DEMO_PAGES)
    assert fetched > 3
    assert not dead, f"as {username}, links that do not open:\n" + "\n".join(dead)
