"""What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE).

The same page whether or not the username exists, and it names neither the username nor how many
attempts were made: it only says when to try again.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)
