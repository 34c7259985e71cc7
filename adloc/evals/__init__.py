"""The closed loop: the copy eval set, eval and its report, gate calibration, locale tuning and
promotion. Results land in the model registry (the asset DB)."""
