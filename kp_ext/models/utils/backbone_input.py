"""The input check shared by the bottom-up backbones (OpenPoseVGG,
DilatedSeparableNet)."""
import torch


def check_backbone_input(x: torch.Tensor, stride: int,
                         channels_last: bool) -> torch.Tensor:
    """``x`` must be (B, C, H, W) with H and W at least the backbone's
    output ``stride``; returned in channels-last memory format when
    ``channels_last``."""
    if x.ndim != 4:
        raise ValueError(f'input must be (B, C, H, W), got shape '
                         f'{tuple(x.shape)}')
    h, w = x.shape[-2:]
    if h < stride or w < stride:
        raise ValueError(f'input {h}x{w} is smaller than the stride '
                         f'{stride}')
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x
