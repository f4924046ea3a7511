"""A PAF head without layers, for backbones that predict the maps
themselves (e.g. a stacked hourglass with ``out_channels = 2L + K'``,
``configs/openpose/hourglass_paf_coco.py``)."""
from typing import List, Optional

from torch import Tensor

from kp_ext.registry import MODELS
from .base_paf_head import BasePAFHead

__all__ = ['PAFSplitHead']


@MODELS.register_module()
class PAFSplitHead(BasePAFHead):
    """Splits every backbone output (stage) into PAF channels ``[:2L]`` and
    confidence-map channels ``[2L:]``; adds no layers. Outputs, loss and
    prediction: :class:`BasePAFHead`.

    Args:
        num_stages (int, optional): number of backbone outputs expected
            (unchecked when not given).
        in_channels (int, optional): channels of every backbone output;
            checked against ``2L + K'`` when given.
        **kwargs: :class:`BasePAFHead`'s arguments.
    """

    arch = None

    def __init__(self, num_stages: Optional[int] = None,
                 in_channels: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        total = self.paf_channels + self.cm_channels
        if in_channels is not None and in_channels != total:
            raise ValueError(
                f'{type(self).__name__}: in_channels ({in_channels}) must be '
                f"2L + K' = {total}")
        if num_stages is not None and num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        self.in_channels = in_channels
        self.num_stages = num_stages

    def forward(self, feats):
        """Per-stage ``(pafs, heatmaps)``: every element of ``feats`` (or
        ``feats`` itself when a tensor) is one stage's (B, 2L + K', H, W)
        prediction."""
        feats: List[Tensor] = self._as_list(feats)
        if self.num_stages is not None and len(feats) != self.num_stages:
            raise ValueError(f'{type(self).__name__} expects '
                             f'{self.num_stages} stage outputs, got '
                             f'{len(feats)}')
        total = self.paf_channels + self.cm_channels
        pafs, cms = [], []
        for i, f in enumerate(feats):
            if f.ndim != 4 or f.shape[1] != total:
                raise ValueError(
                    f"stage {i}: shape {tuple(f.shape)}; {type(self).__name__}"
                    f" expects (B, 2L + K' = {total}, H, W) predictions")
            pafs.append(f[:, :self.paf_channels])
            cms.append(f[:, self.paf_channels:])
        return pafs, cms
