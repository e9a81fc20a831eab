"""Workspace pages about decisions (being written)."""

from django.http import Http404


def _pending(*args, **kwargs):
    raise Http404("being written")


decision_list = signoff_detail = warning_create = warning_detail = block_create = block_detail = _pending
block_acknowledge = police_report_create = appeal_list = appeal_create = appeal_detail = _pending
