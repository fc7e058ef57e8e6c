# The BFF as a container: `docker build -t bff:1.0.0 .`, then `docker run -p 8000:8000 bff:1.0.0`
# (and `docker stop -t 30`: a stop drains and finishes in-flight requests, see bff/lifecycle.py).
# The install is the one `make run` does: the runtime lock (exact versions, every file
# hash-checked), then this project without its dependencies, built by the locked setuptools; no
# dev extras and no simulator: the image is the service alone (`bff demo`/`bff simulator` say so).

FROM python:3.11-slim AS build
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The lock first, so its layer is cached while only the code changes; then what `pip install .`
# reads: the project file (and the README it names), then the packages.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY bff ./bff
COPY clients ./clients
COPY schemas ./schemas
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 bff \
    && useradd --system --uid 10001 --gid bff --no-create-home --shell /usr/sbin/nologin bff
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BFF_HOST=0.0.0.0 \
    BFF_PORT=8000
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % (os.environ.get('BFF_OPS_PORT') or os.environ.get('BFF_PORT', '8000')); sys.exit(urllib.request.urlopen(url, timeout=2).status != 200)"]
CMD ["bff", "serve", "--host", "0.0.0.0"]
