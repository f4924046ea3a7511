"""Stop training at the first non-finite loss; find non-finite weights.

A diverged run (e.g. ``--cfg-options optim_wrapper.optimizer.lr=inf``)
used to run to the end with exit status 0 and save checkpoints full of
NaN. :func:`check_finite_losses` is called by every kp_ext estimator on
its parsed losses (``BasePoseEstimator.parse_losses``), before the update
is applied: the first NaN/inf loss term raises ``FloatingPointError``
naming the iteration and the term. kp_ext's ``CheckpointHook`` refuses to
write a checkpoint holding a NaN/inf tensor (:func:`first_non_finite`),
which catches an update that made the weights non-finite before any loss
showed it.

At prediction, :func:`check_finite_inputs` refuses a batch of network
inputs holding NaN/inf (a float image of NaN used to give a person with
made-up keypoints) with :class:`NonFiniteInputError`, naming the images;
non-finite network *outputs* are the decoders' business
(``kp_ext.codecs.NonFiniteMapError``).

It lives in ``kp_ext.utils``, below both its users: the estimators
(``models``) and the checkpoint hook (``engine``).
"""
from typing import Mapping, Optional, Tuple

import torch
from mmengine.logging import MessageHub

__all__ = [
    'check_finite_losses', 'first_non_finite', 'NonFiniteInputError',
    'check_finite_inputs'
]


class NonFiniteInputError(ValueError):
    """A network input (image) holding NaN/inf, refused before the network
    runs; the message names the image(s)."""


def _position() -> str:
    """'iteration N (epoch E)' of the current run, 1-based as in the log."""
    try:
        hub = MessageHub.get_current_instance()
    except RuntimeError:
        return 'an unknown iteration'
    it, ep = hub.get_info('iter'), hub.get_info('epoch')
    if it is None:
        return 'an unknown iteration'
    where = f'iteration {int(it) + 1}'
    if ep is not None:
        where += f' (epoch {int(ep) + 1})'
    return where


def check_finite_losses(log_vars: Mapping[str, torch.Tensor]) -> None:
    """Raise ``FloatingPointError`` if a loss term (a key containing
    'loss', as mmengine sums them) of ``log_vars`` is NaN or inf."""
    bad = []
    for name, value in log_vars.items():
        if 'loss' not in name or not torch.is_tensor(value):
            continue
        if not bool(torch.isfinite(value.detach()).all()):
            bad.append(name)
    if not bad:
        return
    terms = [n for n in bad if n != 'loss'] or bad
    values = ', '.join(f'{k}={float(v.detach().float().mean()):.4g}'
                       for k, v in log_vars.items()
                       if 'loss' in k and torch.is_tensor(v))
    raise FloatingPointError(
        f'non-finite loss at {_position()}: {", ".join(terms)} '
        f'({values}). Training stopped before applying this update; no '
        'checkpoint of this state is written. Lower the learning rate '
        '(optim_wrapper.optimizer.lr), clip gradients '
        '(optim_wrapper.clip_grad) or check the data.')


def first_non_finite(
        state_dict: Mapping) -> Optional[Tuple[str, int, int]]:
    """``(name, n_bad, n_total)`` of the first floating tensor of
    ``state_dict`` holding NaN/inf, or ``None``."""
    for name, value in state_dict.items():
        if torch.is_tensor(value) and value.is_floating_point():
            finite = torch.isfinite(value)
            if not bool(finite.all()):
                return name, int((~finite).sum()), value.numel()
    return None


def check_finite_inputs(inputs: torch.Tensor, names, owner: str) -> None:
    """Raise :class:`NonFiniteInputError` if the batch ``inputs`` (B, ...)
    holds NaN/inf; ``names(indices)`` names the images at those batch
    indices, ``owner`` the caller. One ``isfinite().all()`` pass when the
    inputs are finite (integer inputs are not checked)."""
    if not torch.is_tensor(inputs) or not inputs.is_floating_point():
        return
    finite = torch.isfinite(inputs)
    if bool(finite.all()):
        return
    flat = (~finite).reshape(len(inputs), -1)
    bad = flat.any(1).nonzero().flatten().tolist()
    counts = ', '.join(f'batch index {i}: {int(flat[i].sum())} of '
                       f'{flat.shape[1]} values' for i in bad[:8])
    more = ', ...' if len(bad) > 8 else ''
    raise NonFiniteInputError(
        f'{owner}: the network input of {names(bad)} holds NaN/inf values '
        f'({counts}{more}); refused before the network: the image (a float '
        'array or file) is not finite')
