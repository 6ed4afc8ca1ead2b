# callbot image: `docker run callbot` starts the bots (`callbot run`); any other callbot
# command replaces the default, e.g. `docker run callbot db upgrade`.

# Build stage: install callbot and its pinned dependencies into a self-contained venv, so
# the final image carries no build tools, caches or sources it does not need.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/callbot

WORKDIR /src
# README.md* matches nothing until the project has a README; pyproject.toml keeps the COPY valid.
COPY pyproject.toml constraints.txt README.md* ./
COPY shared/ shared/
COPY bots/ bots/
RUN /opt/callbot/bin/pip install -c constraints.txt .

# Runtime stage.
FROM python:3.11-slim

ENV PATH=/opt/callbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CALLBOT_DATA_DIR=/data \
    CAMPAIGNS_DIR=/app/campaigns

# A fixed, unprivileged uid so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 callbot \
    && useradd --system --uid 10001 --gid callbot --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin callbot \
    && mkdir -p /app /data \
    && chown callbot:callbot /data

COPY --from=build /opt/callbot /opt/callbot
COPY campaigns/ /app/campaigns/

WORKDIR /app
# The SQLite database (when DATABASE_URL is unset) and the downloaded congress data live here.
VOLUME ["/data"]
USER callbot

ENTRYPOINT ["callbot"]
CMD ["run"]
