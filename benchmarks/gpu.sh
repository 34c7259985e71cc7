#!/bin/sh
# Benchmarks 1 and 3 on a CUDA machine: the embedded LLM and the tiny inpainter run in float16 there
# (the production loaders pick CUDA when torch sees it). Needs adloc installed (`make models` on a
# machine with registry access) and the embedded model fetched. Writes the *_cuda.json results, which
# name the device, beside the CPU ones: tokens/s (copy_batching), items/s and inpainted images/s
# (pipeline), and each one's peak GPU memory (peak_gpu_mb).
#
#     sh benchmarks/gpu.sh [PYTHON]
set -e
PYTHON=${1:-.venv/bin/python}
"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'error: torch sees no CUDA device')"
"$PYTHON" benchmarks/copy_batching.py --out benchmarks/results/copy_batching_cuda.json
"$PYTHON" benchmarks/pipeline.py --sizes 24 96 --no-scaling --out benchmarks/results/pipeline_cuda.json
