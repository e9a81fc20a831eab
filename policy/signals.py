"""What the base layer tells the layers above it, without importing them (ADR 10)."""

from django.dispatch import Signal

# Sent inside the publishing transaction when a policy version is published, or when a preset changes
# the house rules, with ``actor`` (the user, or None for the system) and ``detail`` (a dict). The security
# log listens (``config.audit``) and records it as "Policy version published", in the same transaction.
policy_published = Signal()

# Sent once per download of personal or bulk data (a subject access zip, statements of reasons, a report
# file, an evidence file, an import's rows), by the view that serves it, with ``request``, ``what`` (a
# short name) and ``detail`` (a dict: the filters, the range, the ids). The security log records it as
# "Data downloaded" (``config.audit``). Use ``data_downloaded`` rather than sending it by hand.
data_exported = Signal()


def data_downloaded(request, what: str, **detail) -> None:
    """Tell the security log that ``request``'s user downloaded ``what`` (once per download)."""
    query = {key: values if len(values) > 1 else values[0] for key, values in request.GET.lists()} if request else {}
    if query:
        detail.setdefault("filters", query)
    data_exported.send(sender=what, request=request, what=what, detail=detail)
