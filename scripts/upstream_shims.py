"""Import shims for the scratch MMPose venv of `make test-upstream` ONLY.

Installed by scripts/upstream_venv.sh into that venv (never into the system
python or kp_ext). MMPose 1.3.2's ``mmpose.models`` imports ``mmdet`` and
``mmcv.ops`` at import time from modules the conformance tests never run.
This placeholder is filled in once the venv shows which names are needed.
"""
