"""The Beam pipeline: job expansion, one module per stage, the writers. Nothing model-specific."""
