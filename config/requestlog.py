"""One log line per request, and a request id that follows the work into Celery (the edge layer).

``RequestLogMiddleware`` (outermost) takes the caller's ``X-Request-ID`` when it is well formed
(8 to 128 letters, digits, ``-``, ``_`` or ``.``: a load balancer's or a uuid), otherwise makes a
uuid4; returns it in the response's ``X-Request-ID``; and logs one record per request on the
``moderation.request`` logger with the method, the path (never the query string, which may carry
search terms about people), the status, the duration in milliseconds, the view's name and the
user's id (never a name or an address).

The id lives in a context variable for the request. ``RequestIdFilter`` (on the log handler) puts it
on every log record as ``request_id``; a Celery task enqueued during the request carries it in its
message headers (``before_task_publish``), and the worker sets it again while the task runs
(``task_prerun``), so the worker's log lines of that task carry the same id.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils.functional import empty

logger = logging.getLogger("moderation.request")

REQUEST_ID_HEADER = "X-Request-ID"
# the message header that carries the id into a task
TASK_HEADER = "request_id"
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,128}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def accepted_request_id(value: str | None) -> str:
    """The caller's id if well formed, else a new uuid4."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return str(uuid.uuid4())


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the request's or the task's, else None) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return getattr(request, "endpoint_name", "<unresolved>")
    return match.view_name or match._func_path


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    # only a user something already loaded: logging never queries the session or the users table
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    try:
        return user.pk if user.is_authenticated else None
    except Exception:  # a broken session store: the request's own error is what matters
        return None


class RequestLogMiddleware:
    """First in ``MIDDLEWARE``: the request id for everything after it, one log line at the end."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # cleared when the response is closed (request_finished), so Django's own lines about the
        # response (django.request's "Not Found", a 500's traceback), written after the middleware, carry it
        request_id_var.set(request_id)
        started = time.monotonic()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        duration = time.monotonic() - started
        view = _view_name(request)
        from config.metrics import observe_request

        observe_request(view=view, method=request.method, status=response.status_code, seconds=duration)
        user_id = _user_id(request)
        logger.info(
            "%s %s %s %.0fms view=%s user=%s",
            request.method,
            request.path,
            response.status_code,
            duration * 1000,
            view,
            user_id,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
                "view": view,
                "user_id": user_id,
            },
        )
        return response


@receiver(request_finished, dispatch_uid="config.requestlog.forget_request_id")
def forget_request_id(**kwargs):
    request_id_var.set(None)


# --- into Celery and out again ------------------------------------------------------------------


@before_task_publish.connect(dispatch_uid="config.requestlog.add_request_id")
def add_request_id(headers=None, **kwargs):
    request_id = request_id_var.get()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def _task_request_id(task) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    value = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return value if isinstance(value, str) and WELL_FORMED.fullmatch(value) else None


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect(dispatch_uid="config.requestlog.task_started")
def task_started(task_id=None, task=None, **kwargs):
    request_id = _task_request_id(task)
    if request_id and task_id:
        _task_tokens[task_id] = request_id_var.set(request_id)


@task_postrun.connect(dispatch_uid="config.requestlog.task_finished")
def task_finished(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (a thread pool): forget it there
            request_id_var.set(None)
