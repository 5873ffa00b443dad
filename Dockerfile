# Warden: slim image, non-root user, health check, dependencies from requirements.lock (exact pins).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
# torch's CPU build lives on PyTorch's own index; everything else comes from PyPI.
RUN python -m venv /opt/warden \
 && /opt/warden/bin/pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock
COPY gateway ./gateway
COPY guardrails ./guardrails
COPY registry ./registry
COPY evals ./evals
RUN /opt/warden/bin/pip install --no-deps .
# The prompt store reads versions and labels from Git: /out/app gets HEAD's history with only prompts/ checked out
# (needs a full clone as the build context: a shallow clone or a worktree fails here, naming the fix).
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*
COPY .git ./.git
RUN /opt/warden/bin/python -m gateway.prompts.image_repo /src /out/app

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 warden \
 && git config --system --add safe.directory /app
COPY --from=build /opt/warden /opt/warden
WORKDIR /app
COPY --chown=warden:warden config ./config
COPY --from=build --chown=warden:warden /out/app/ ./
ENV PATH=/opt/warden/bin:$PATH \
    LITELLM_LOCAL_MODEL_COST_MAP=True HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    WARDEN_CONFIG=/app/config/gateway.yaml DATABASE_URL=sqlite:////app/data/warden.db \
    WARDEN_MODEL_CACHE=/opt/warden/models
# MiniLM exported to ONNX once, at build time, from the packaged weights (read-only for the runtime user).
RUN python -c "from guardrails.embeddings import Embedder; Embedder().load()" \
 && mkdir -p /app/data /app/var && chown warden:warden /app/data /app/var
USER warden
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["warden", "serve", "--host", "0.0.0.0", "--port", "8000"]
