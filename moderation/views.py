"""Workspace pages about what happened: the queue, recording a case, the case and the account.

Views read through selectors and change state only through services; a refusal from a service
comes back to the page as a message or a form error, never as a 500.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from escalation import routing
from escalation.selectors import account_standing
from moderation.models import SocialAccount
from moderation.selectors import account_history, case_queue, case_stage, team_members

PAGE_SIZE = 25


@login_required
def home(request):
    """Each role lands where its work is."""
    user = request.user
    if user.has_perm(routing.PERM_RECORD_CASE) and not user.has_perm(routing.PERM_APPROVE_BLOCK):
        return redirect("moderation:case_list")
    if any(
        user.has_perm(p)
        for p in (
            routing.PERM_APPROVE_BLOCK,
            routing.PERM_SIGNOFF_WARNING_AREA,
            routing.PERM_DECIDE_APPEAL,
            routing.PERM_ACKNOWLEDGE_BLOCK,
        )
    ):
        return redirect("escalation:decision_list")
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "moderation/no_role.html")


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def case_list(request):
    """The queue: open cases with their deadline, filterable, searchable, sortable, paginated."""
    filterset = case_queue(request.GET, user=request.user)
    cases = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(case, case_stage(case)) for case in page.object_list]
    selected = (
        [
            (filterset.form.fields[name].label, _choice_label(filterset, name, value), _without(request.GET, name))
            for name, value in filterset.form.cleaned_data.items()
            if filterset.is_valid()
            and value not in (None, "", [], False)
            and name not in ("sort",)
            and not (name == "status" and value == "open")
        ]
        if filterset.is_valid()
        else []
    )
    return render(
        request,
        "moderation/case_list.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "selected": selected,
            "sort": request.GET.get("sort", ""),
            "team": team_members(),
        },
    )


def _choice_label(filterset, name, value) -> str:
    field = filterset.form.fields[name]
    if hasattr(field, "choices"):
        for key, label in field.choices:
            if str(key) == str(getattr(value, "pk", value)):
                return str(label)
    return "Yes" if value is True else str(value)


def _without(params, name: str) -> str:
    query = params.copy()
    query.pop(name, None)
    query.pop("page", None)
    return "?" + query.urlencode() if query else "?"


def _pending(*args, **kwargs):
    from django.http import Http404

    raise Http404("being written")


case_create = case_detail = _pending


@login_required
@permission_required(routing.PERM_RECORD_CASE, raise_exception=True)
def account_detail(request, pk: int):
    """The account's standing across all channels, its whole history, and the advised next step."""
    account = get_object_or_404(SocialAccount, pk=pk)
    history = account_history(account)
    return render(
        request,
        "moderation/account_detail.html",
        {
            "account": account,
            "standing": account_standing(account),
            **history,
        },
    )
