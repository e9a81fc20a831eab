"""Every id a page refers to exists (WCAG 1.3.1, 3.3.2, 4.1.2).

Every workspace page each role may open, and every form on it posted back empty (its error state),
plus the error states a person most often meets (a date with a missing part, a refusal without a
reason in place), is parsed: each ``aria-describedby``, ``aria-labelledby`` and ``label[for]`` names
an element on the page, each error summary link lands on one, and no id is used twice. A date is a
GOV.UK date input: a fieldset with a legend, described by its hint and error, Day, Month and Year
each labelled, and only the boxes in error styled as such.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests import factories
from tests import test_permission_walk as walk
from tests.test_permission_walk import GET_ACCESS, OK, ROLES, url_for

world = walk.world  # the permission walk's world (a fixture): a case of each kind, in each state the pages show

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The ids, the references to ids, the forms and the fieldsets of a page."""

    def __init__(self, html: str, url: str = ""):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.ids: list[str] = []
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id)
        self.forms: list[dict] = []
        self.fieldsets: list[dict] = []
        self.inputs: dict[str, dict] = {}
        self._open: list[str] = []
        self._fieldset: dict | None = None
        self._legend = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") is not None:
            self.ids.append(attrs["id"])
        for name in ("aria-describedby", "aria-labelledby"):
            if name in attrs:
                value = attrs[name] or ""
                if not value.split():
                    self.references.append((tag, name, ""))
                for target in value.split():
                    self.references.append((tag, name, target))
        if tag == "label" and "for" in attrs:
            self.references.append((tag, "for", attrs["for"] or ""))
        if tag == "a" and (attrs.get("href") or "").startswith("#") and self._in("govuk-error-summary__list"):
            self.references.append((tag, "href", attrs["href"][1:]))
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append({"action": attrs.get("action") or "", "hx": "hx-post" in attrs, "fields": 0})
        if tag in ("input", "textarea", "select") and attrs.get("type") not in ("hidden", "submit") and self.forms:
            self.forms[-1]["fields"] += 1
        if tag == "fieldset":
            self._fieldset = {"attrs": attrs, "legend": "", "inputs": []}
            self.fieldsets.append(self._fieldset)
        if tag == "legend":
            self._legend = True
        if tag == "input" and attrs.get("id"):
            self.inputs[attrs["id"]] = attrs
            if self._fieldset is not None:
                self._fieldset["inputs"].append(attrs)
        if tag not in VOID:
            self._open.append(" ".join([tag, attrs.get("class") or ""]))

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._fieldset = None
        if tag == "legend":
            self._legend = False
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data):
        if self._legend and self._fieldset is not None:
            self._fieldset["legend"] += data

    def _in(self, css: str) -> bool:
        return any(css in opened for opened in self._open)

    def problems(self) -> list[str]:
        found = []
        seen = set()
        for element_id in self.ids:
            if element_id in seen:
                found.append(f'id "{element_id}" is used twice')
            seen.add(element_id)
        for tag, attribute, target in self.references:
            if target not in seen:
                found.append(f'<{tag} {attribute}="{target}"> names no element')
        return found


def check(pages: dict[str, Page], where: str, html: str, url: str = "") -> Page:
    page = Page(html, url)
    pages[where] = page
    return page


def post_empty_forms(client, page: Page, seen: set[str], pages: dict[str, Page], *, role: str) -> None:
    """Each workspace form with fields to fill in, posted with none filled in: a page that answers 200
    is its error state. (A form of buttons alone, such as "Start the import", has no error state.)"""
    for form in page.forms:
        action = urlsplit(form["action"]).path or page.url
        if not form["fields"] or action in seen or action.startswith(reverse("sign_out")):
            continue
        seen.add(action)
        headers = {"HX-Request": "true"} if form["hx"] else {}
        data = {"submitted": "yes", **({"row": "1"} if form["hx"] else {})}
        response = client.post(action, data, headers=headers)
        if response.status_code == OK and "text/html" in response.get("Content-Type", ""):
            check(pages, f"POST {action} (empty) as {role}", response.content.decode())


@pytest.mark.parametrize("role", ROLES)
def test_every_reference_on_every_page_resolves(role, client, world):
    users, objects = world
    pages: dict[str, Page] = {}
    if users[role] is not None:
        client.force_login(users[role])
    else:
        check(pages, "sign in", client.get(reverse("sign_in")).content.decode())
        response = client.post(reverse("sign_in"), {"username": "", "password": ""})
        check(pages, "sign in (empty)", response.content.decode())
    opened = []
    for name, (kwargs, _) in GET_ACCESS.items():
        url = url_for(name, kwargs, objects)
        response = client.get(url, follow=True)
        if response.status_code == OK and "text/html" in response.get("Content-Type", ""):
            path = response.request["PATH_INFO"]  # after any redirect
            opened.append(check(pages, f"GET {url} as {role}", response.content.decode(), path))
    posted: set[str] = set()
    for page in opened:
        post_empty_forms(client, page, posted, pages, role=role)
    problems = [f"{where}: {problem}" for where, page in pages.items() for problem in page.problems()]
    assert not problems, "\n".join(problems)
    if role != "anonymous":
        assert any(where.startswith("POST") for where in pages), "no form was tried in its error state"


def error_state(client, url: str, data: dict, **headers) -> tuple[Page, str]:
    response = client.post(url, data, headers=headers)
    assert response.status_code == OK, f"{url}: {response.status_code}"
    html = response.content.decode()
    page = Page(html)
    assert not page.problems(), "\n".join(page.problems())
    return page, html


def date_fieldset(page: Page, legend: str) -> dict:
    found = [f for f in page.fieldsets if " ".join(f["legend"].split()) == legend]
    assert len(found) == 1, f"no fieldset with the legend {legend!r}"
    return found[0]


def test_a_date_is_a_fieldset_described_by_its_hint_and_error(client, world):
    users, objects = world
    client.force_login(users["manager"])
    url = reverse("escalation:police_report_create", args=[objects["case"]])
    html = client.get(url).content.decode()
    assert 'for=""' not in html
    fieldset = date_fieldset(Page(html), "Date reported")
    assert fieldset["attrs"]["aria-describedby"] == "id_reported_on-hint"
    assert [i["id"] for i in fieldset["inputs"]] == ["id_reported_on", "id_reported_on_month", "id_reported_on_year"]
    for part in ("Day", "Month", "Year"):
        label = rf'<label class="govuk-label govuk-date-input__label" for="id_reported_on[^"]*">{part}</label>'
        assert re.search(label, html)

    page, html = error_state(
        client,
        url,
        {
            "force": "Herts",
            "reference": "41/2026",
            "reported_on_day": "3",
            "reported_on_month": "",
            "reported_on_year": "",
        },
    )
    fieldset = date_fieldset(page, "Date reported")
    assert fieldset["attrs"]["aria-describedby"] == "id_reported_on-hint id_reported_on-error"
    assert "The date reported must include a month and a year" in html
    styled = {i["id"]: "govuk-input--error" in i["class"] for i in fieldset["inputs"]}
    assert styled == {"id_reported_on": False, "id_reported_on_month": True, "id_reported_on_year": True}
    assert "aria-describedby" not in page.inputs["id_reported_on"]  # the fieldset is described, not each box
    assert '<a href="#id_reported_on_month">The date reported must include a month and a year</a>' in html
    assert re.search(r"<title>Error: [^<]*</title>", html)
    assert "Error: Error:" not in html


def test_an_appeal_date_that_is_not_real_marks_the_wrong_box(client, world):
    users, objects = world
    client.force_login(users["officer"])
    url = reverse("escalation:appeal_create", args=[objects["fresh_block"]])
    page = Page(client.get(url).content.decode())
    assert date_fieldset(page, "Date received")["attrs"]["aria-describedby"] == "id_received_on-hint"
    page, html = error_state(
        client,
        url,
        {"received_on_day": "12", "received_on_month": "13", "received_on_year": "2026", "received_time": "10:00"},
    )
    fieldset = date_fieldset(page, "Date received")
    assert fieldset["attrs"]["aria-describedby"] == "id_received_on-hint id_received_on-error"
    styled = [i["id"] for i in fieldset["inputs"] if "govuk-input--error" in i["class"]]
    assert styled == ["id_received_on_month"]
    assert "The date received must be a real date" in html

    page, _ = error_state(client, url, {"received_time": "10:00"})  # nothing typed: every box
    fieldset = date_fieldset(page, "Date received")
    assert all("govuk-input--error" in i["class"] for i in fieldset["inputs"])


def test_the_warning_text_is_described_by_its_hint(client, world):
    users, objects = world
    client.force_login(users["officer"])
    url = reverse("escalation:warning_create", args=[objects["other_case"]])
    html = client.get(url).content.decode()
    assert "_helptext" not in html
    assert re.search(r'<textarea[^>]*aria-describedby="id_text-hint"', html)
    page, html = error_state(client, url, {"text": ""})
    assert re.search(r'<textarea[^>]*aria-describedby="id_text-hint id_text-error"', html)


def test_a_refusal_without_a_reason_in_place_names_its_error(client, world):
    users, objects = world
    client.force_login(users["manager"])
    url = reverse("escalation:signoff_detail", args=[objects["signoff"]])
    _, html = error_state(client, url, {"decision": "refuse", "reason": "", "row": "1"}, HX_Request="true")
    assert f'aria-describedby="reason-{objects["signoff"]}-error"' in html


def test_a_second_error_on_a_field_shares_its_one_error_element():
    """A field with two errors (from cleaning and from a service) still has one element to name."""
    from escalation.forms import WarningTextForm

    form = WarningTextForm(data={"text": ""})
    assert not form.is_valid()
    form.add_error("text", "A second problem")
    html = form["text"].as_field_group()
    assert html.count('id="id_text-error"') == 1
    assert "A second problem" in html


def test_a_form_with_its_own_ids_is_described_by_them(db):
    """The hint and error ids follow the form's ``auto_id`` (the assign form's ``assign_%s``)."""
    from moderation.forms import AssignForm

    factories.OfficerFactory()
    form = AssignForm(data={"assignee": "999999"})
    form.fields["assignee"].help_text = "Who works on it next"
    assert not form.is_valid()
    html = form["assignee"].as_field_group()
    assert 'aria-describedby="assign_assignee-hint assign_assignee-error"' in html
    assert 'id="assign_assignee-hint"' in html
    assert 'id="assign_assignee-error"' in html
