# Without this import, `.delay()` would silently target an AMQP broker on localhost.
from config.celery import app as celery_app

__all__ = ("celery_app",)
