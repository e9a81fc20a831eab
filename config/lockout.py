"""Sign-in throttling (django-axes): who is locked out, and what a locked-out sign-in sees.

Two locks, each for ``AXES_COOLOFF_TIME``:

* one username from one address, after ``AXES_FAILURE_LIMIT`` failures (guessing one person's
  password);
* one address, whatever the usernames, after ``AXES_IP_FAILURE_LIMIT`` failures (password spraying:
  one common password tried against many usernames). Higher, because a council's staff often share
  one address to the internet.

django-axes compares every lockout parameter (``AXES_LOCKOUT_PARAMETERS``) with the one
``AXES_FAILURE_LIMIT``; ``SignInThrottle`` scales the address's count so that its own limit is the one
that counts. The page is the same whether or not the username exists, and it names neither the
username nor how many attempts were made: it only says when to try again.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render


class SignInThrottle(AxesDatabaseHandler):
    """django-axes' database handler, with a limit of its own for an address across usernames."""

    def get_failures(self, request, credentials=None) -> int:
        """The failures that count against ``AXES_FAILURE_LIMIT``: the most of each lockout parameter's,
        an address's alone scaled so that ``AXES_IP_FAILURE_LIMIT`` of them reach the limit."""
        limit = get_failure_limit(request, credentials)
        counted = [0]
        for parameter, attempts in zip(
            get_lockout_parameters(request, credentials), self.get_user_attempts(request, credentials), strict=True
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if parameter == "ip_address":
                failures = failures * limit // settings.AXES_IP_FAILURE_LIMIT
            counted.append(failures)
        return max(counted)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A successful sign-in clears that username's failures (from that address), never the
        address's failures with other usernames: a sprayer who knows one password cannot wipe the
        count by signing in with it."""
        count = 0
        for parameter, attempts in zip(
            get_lockout_parameters(request, credentials), self.filter_user_attempts(request, credentials), strict=True
        ):
            if parameter != "ip_address":
                count += attempts.delete()[0]
        return count


def locked_out(request, original_response=None, credentials=None):
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
