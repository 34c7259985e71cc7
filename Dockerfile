# Worker image for Dataflow (or any Beam portable runner): Beam's Python SDK image with adloc
# installed and the embedded copy model fetched at build time, so workers download nothing.
#   docker build -t europe-docker.pkg.dev/PROJECT/adloc/worker:0.1 .
FROM apache/beam_python3.11_sdk:2.77.0

WORKDIR /opt/adloc
COPY pyproject.toml README.md ./
COPY adloc ./adloc
COPY examples ./examples

# torch first, pinned: the default build carries CUDA for GPU workers. For CPU-only pools, take
# the CPU build instead: pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir torch==2.13.0 \
 && pip install --no-cache-dir '.[postgres,dataflow]'

ENV ADLOC_HOME=/opt/adloc/home
RUN adloc models fetch
