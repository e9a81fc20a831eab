"""The policy read once a request (``policy.services.request_scope``)."""

from __future__ import annotations

from policy import services


class OnePolicyPerRequest:
    """Every ``policy.services.current()`` of a request returns the version its first read found:
    one cache read a page instead of one a deadline shown (issue 13), and one policy a page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with services.request_scope():
            return self.get_response(request)
