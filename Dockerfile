# The worker image for Dataflow, a Dask cluster (or any Beam portable runner): Beam's Python SDK
# image with adloc installed, the embedded copy model fetched at build time (workers download
# nothing) and a non-root user. `make image` builds it; see the README's "Worker image".
#   docker build -t europe-docker.pkg.dev/PROJECT/adloc/worker:0.1 .
FROM apache/beam_python3.11_sdk:2.77.0

# The colour emoji font the text renderer draws emoji with (every other font is a pip package).
RUN apt-get update -q && apt-get install -y -q --no-install-recommends fonts-noto-color-emoji \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/adloc
COPY pyproject.toml README.md ./
COPY adloc ./adloc
COPY examples ./examples

# torch first, pinned as everywhere else: the default build carries CUDA for GPU workers. For
# CPU-only pools, take the CPU build: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir torch==2.13.0 \
 && pip install --no-cache-dir '.[postgres,dataflow,dask]'

ENV ADLOC_HOME=/opt/adloc/home
RUN adloc models fetch && adloc models fetch smollm2-135m

# Workers run as an unprivileged user who can read the models and write only scratch space.
RUN useradd --create-home --uid 10001 adloc && chmod -R a+rX /opt/adloc
USER adloc
# The entrypoint stays Beam's SDK harness (/opt/apache/beam/boot) for Dataflow; a Dask worker
# runs the same image with `--entrypoint dask`, e.g.
#   docker run --entrypoint dask IMAGE worker tcp://scheduler:8786 --nthreads 1
