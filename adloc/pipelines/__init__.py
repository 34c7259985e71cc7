"""The Beam pipeline: one module per stage, each exporting one composite PTransform; `job` wires them."""
