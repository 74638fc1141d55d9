# The one ScrapeStream image: gateway, stream/fan-out workers, static and browser scrapers and the
# migration Job all run it (helm/scrapestream). Build: docker build -t <registry>/scrapestream:<version> .
# Pin the base by digest in your release pipeline (FROM python:3.11-slim-bookworm@sha256:...).

# -- build: wheels of the project and its pinned dependencies ---------------------------------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scrapestream ./scrapestream
COPY schemas ./schemas
COPY producers ./producers
COPY streams ./streams
COPY consumers ./consumers
COPY demoshop ./demoshop
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# -- run -----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
# Debian's Chromium headless shell for the browser scrapers (Playwright drives it; `playwright
# install` is never run) and fonts so pages lay out as in a desktop browser.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium-headless-shell fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
# A fixed non-root user; the chart runs it with a read-only root filesystem and /tmp as the only
# writable place (HOME, Faust's data directory, the Chromium profile).
RUN groupadd --gid 10001 scrapestream \
    && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin scrapestream
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    SCRAPESTREAM_CHROMIUM_PATH=/usr/lib/chromium/chromium-headless-shell \
    SCRAPESTREAM_DATA_DIR=/tmp/scrapestream
USER 10001:10001
WORKDIR /tmp
EXPOSE 8700 8080
ENTRYPOINT ["scrapestream"]
CMD ["--help"]
