#!/usr/bin/env bash
# Build (idempotently) a scratch venv OUTSIDE the repo with MMPose 1.3.2 for
# the upstream conformance tests (tests/upstream/, `make test-upstream`).
#
# Usage: bash scripts/upstream_venv.sh [VENV_DIR]   (default /tmp/kp_ext-upstream-venv)
#
# Same approach as the shared peer venv (../shared/bench/setup_peer_venv.sh):
# - mmpose==1.3.2 with --no-deps (its requirements pull chumpy/mmdet/...),
#   plus the pure-python packages it imports (json_tricks, munkres, ...);
# - mmengine 0.10.7 and mmcv-lite 2.1.0 (MMPose 1.3 asserts mmcv < 2.2);
# - xtcocotools built from source against the installed numpy (its PyPI
#   wheel is built against numpy 1).
# IMPORT SHIMS: `import mmpose.models` imports mmdet (not installed: it would
# pull its own mmcv requirement) and mmcv.ops (not in mmcv-lite) at import
# time, from modules the tests never run (RTMO/ED-Pose/YOLOX parts). The
# venv gets a small `mmpose_import_shims.pth` + module that install stand-in
# modules for exactly those names (see scripts/upstream_shims.py); any use of
# a shimmed name raises ImportError saying it is a shim. Nothing of this is
# installed into the system python or the repo.
set -euo pipefail
VENV="${1:-/tmp/kp_ext-upstream-venv}"
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP="$PY -m pip install --disable-pip-version-check -q"
$PY -c 'import torch' 2>/dev/null || $PIP torch==2.13.0
$PY -c 'import mmengine, mmcv; assert mmcv.__version__ == "2.1.0"' 2>/dev/null \
    || $PIP mmengine==0.10.7 mmcv-lite==2.1.0
$PY -c 'import mmpose' 2>/dev/null || $PIP --no-deps mmpose==1.3.2
# setuptools < 81: mmengine's package_utils imports pkg_resources
$PIP json_tricks munkres six scipy matplotlib opencv-python numpy cython \
    'setuptools<81' wheel pytest
if ! $PY -c 'from xtcocotools.cocoeval import COCOeval' 2>/dev/null; then
    $PY -m pip uninstall -y -q xtcocotools 2>/dev/null || true
    $PIP --no-build-isolation --no-binary xtcocotools xtcocotools==1.14.3
fi
# the import shims (only names that `import mmpose.models` needs)
SITE=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$HERE/upstream_shims.py" "$SITE/mmpose_import_shims.py"
echo 'import mmpose_import_shims' > "$SITE/mmpose_import_shims.pth"
$PY - <<'PY'
import mmcv, mmengine, mmpose, torch
import mmpose.models  # noqa: F401  (through the shims)
from mmpose.codecs import MSRAHeatmap  # noqa: F401
from xtcocotools.cocoeval import COCOeval  # noqa: F401
print('[upstream venv] ok: torch', torch.__version__, 'mmengine',
      mmengine.__version__, 'mmcv', mmcv.__version__, 'mmpose',
      mmpose.__version__)
PY
