"""Masked L2 loss of OpenPose (Cao et al., CVPR 2017, eq. 6-7).

For one stage the paper's loss of a branch is::

    f = sum_p W(p) * || S_pred(p) - S*(p) ||^2

summed over the pixels ``p`` of the map, where ``||.||^2`` sums the squared
error over the branch's channels (the K [+1] confidence maps, or the 2L PAF
components) and ``W(p)`` is 0 in regions whose people are not annotated
(crowds, unlabelled persons) so that correct detections there are not
penalised.

Normalisation (``reduction``)
-----------------------------
- ``'pixel'`` (default): the masked squared error summed over channels and
  *averaged* over the batch and the H x W pixels (divided by ``B * H * W``,
  not by the number of unmasked pixels). This is the paper's sum up to a
  constant factor: the channels keep the paper's relative weighting (a
  branch with more channels or a stage counts as in the paper), while the
  value no longer grows with the map resolution or the batch size, so that
  one learning rate works across input sizes (368 px, 46x46 maps, or tiny
  test models). Dividing by all pixels rather than the unmasked ones keeps
  an image's masked crowd from up-weighting its other pixels and makes a
  fully masked image contribute 0 (no division by zero).
- ``'element'``: mean over all B x C x H x W elements (MMPose's
  ``KeypointMSELoss`` scale; the PAF and confidence-map branches then weigh
  the same whatever their channel counts).
- ``'caffe'``: ``sum / (2 B)``, the reference implementation's
  ``EuclideanLoss`` (used with its base learning rate of 4e-5).
"""
from typing import Optional

import torch.nn as nn
from torch import Tensor

from kp_ext.registry import MODELS

__all__ = ['PAFLoss']


@MODELS.register_module()
class PAFLoss(nn.Module):
    """Masked squared L2 loss for PAFs and confidence maps.

    Args:
        reduction (str): ``'pixel'`` | ``'element'`` | ``'caffe'`` (see the
            module docstring). Default: ``'pixel'``.
        loss_weight (float): multiplier. Default: 1.0.
    """

    reductions = ('pixel', 'element', 'caffe')

    def __init__(self, reduction: str = 'pixel', loss_weight: float = 1.0):
        super().__init__()
        if reduction not in self.reductions:
            raise ValueError(f'reduction must be one of {self.reductions}, '
                             f'got {reduction!r}')
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    @staticmethod
    def _pixel_mask(mask: Tensor, output: Tensor) -> Tensor:
        """(B, H, W), (B, 1, H, W) or (B, C, H, W) -> broadcastable mask."""
        b, c, h, w = output.shape
        if mask.ndim == 3:
            mask = mask[:, None]
        if mask.ndim != 4 or mask.shape[0] != b or \
                mask.shape[1] not in (1, c) or mask.shape[2:] != (h, w):
            raise ValueError(f'mask of shape {tuple(mask.shape)} does not '
                             f'fit maps {tuple(output.shape)}; expected '
                             '(B, H, W), (B, 1, H, W) or (B, C, H, W)')
        return mask.to(dtype=output.dtype, device=output.device)

    def forward(self, output: Tensor, target: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        """Args:
            output, target: (B, C, H, W) predicted and target maps.
            mask: loss mask W(p), 1 = supervised, 0 = ignored; (B, H, W),
                (B, 1, H, W) or (B, C, H, W). None: all pixels count.

        Returns:
            scalar loss.
        """
        if output.shape != target.shape:
            raise ValueError(f'output {tuple(output.shape)} and target '
                             f'{tuple(target.shape)} differ in shape')
        if output.ndim != 4:
            raise ValueError('maps must be (B, C, H, W), got shape '
                             f'{tuple(output.shape)}')
        target = target.to(dtype=output.dtype, device=output.device)
        err = (output - target)**2
        if mask is not None:
            err = err * self._pixel_mask(mask, output)
        b, c, h, w = output.shape
        if err.numel() == 0:
            return output.sum() * 0.0
        total = err.sum()
        if self.reduction == 'pixel':
            loss = total / (b * h * w)
        elif self.reduction == 'element':
            loss = total / err.numel()
        else:
            loss = total / (2.0 * b)
        return loss * self.loss_weight
