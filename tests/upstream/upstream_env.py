"""What the upstream conformance tests need: MMPose 1.3.x, importable.

Every module here calls :func:`require_mmpose` first; without MMPose (the
normal kp_ext environment) the whole module is skipped with the reason.
`make test-upstream` builds a scratch venv with MMPose 1.3.2
(scripts/upstream_venv.sh) and runs them there.
"""
import pytest

SKIP_REASON = ('needs MMPose 1.3.x importable ({}); run `make '
               'test-upstream`, which builds a scratch venv with MMPose 1.3.2')


def require_mmpose():
    """MMPose 1.3.x with its models, or skip the calling module."""
    try:
        import mmpose
        import mmpose.codecs  # noqa: F401
        import mmpose.models  # noqa: F401
    except Exception as e:  # ImportError, or MMPose refusing mmcv 2.2
        pytest.skip(SKIP_REASON.format(f'{type(e).__name__}: {e}'),
                    allow_module_level=True)
    if not mmpose.__version__.startswith('1.3.'):
        pytest.skip(SKIP_REASON.format(f'found {mmpose.__version__}'),
                    allow_module_level=True)
    return mmpose
