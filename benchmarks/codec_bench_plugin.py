"""Adapters that put kp_ext's GaussianHeatmap into the shared MMPose codec
bench (``../shared/bench/mmpose_codec_bench.py --plugin MODULE:FUNCTION``).

Each function has the bench's plugin signature
``FUNCTION(input_size, heatmap_size, sigma) -> [(name, codec)]``; our codec
already has MMPose's interface (``encode(keypoints (1,K,2), visible (1,K))``
-> dict with ``heatmaps`` (K,H,W); ``decode(heatmaps) -> (keypoints (1,K,2),
scores (1,K))`` in input pixels), so no wrapping is needed.

Run from the repo root (kp_ext must import in the bench's venv, e.g. via
PYTHONPATH)::

    PYTHONPATH=$PWD /tmp/peer-venv/bin/python \\
        ../shared/bench/mmpose_codec_bench.py \\
        --plugin benchmarks.codec_bench_plugin:make_codecs
"""
from kp_ext.codecs.gaussian_heatmap import GaussianHeatmap

__all__ = ['make_codecs', 'make_default_codec']


def make_default_codec(input_size, heatmap_size, sigma):
    """Only the default configuration (``refine='gaussian_log'``)."""
    return [('kp_ext GaussianHeatmap',
             GaussianHeatmap(input_size=input_size, heatmap_size=heatmap_size,
                             sigma=sigma))]


def make_codecs(input_size, heatmap_size, sigma):
    """The default and the two alternative decoders (quarter, DARK k=11)."""
    kw = dict(input_size=input_size, heatmap_size=heatmap_size, sigma=sigma)
    return [
        ('kp GaussianHeatmap(log)', GaussianHeatmap(**kw)),
        ('kp GaussianHeatmap(quarter)',
         GaussianHeatmap(refine='quarter', **kw)),
        ('kp GaussianHeatmap(dark,k=11)',
         GaussianHeatmap(refine='dark', blur_kernel_size=11, **kw)),
    ]
