"""The ``tools/infer.py`` command a training script prints at its end.

``infer_command`` dumps the config the run trained with (so the printed
command matches the checkpoint even after ``--cfg-options``), writes the
first image of the config's test dataset as a demo input, and returns the
exact command line that runs the checkpoint on it.
"""
import os.path as osp
import shlex

import cv2

__all__ = ['infer_command', 'first_test_image']


def first_test_image(cfg):
    """The first image of the config's test dataset: a numpy image for
    in-memory (synthetic) datasets, else its file path."""
    from mmengine.registry import init_default_scope

    from kp_ext.registry import DATASETS
    from .inference import _test_dataset_cfg
    init_default_scope(cfg.get('default_scope', 'kp_ext'))
    ds_cfg = dict(_test_dataset_cfg(cfg), pipeline=[])
    info = DATASETS.build(ds_cfg)[0]
    return info['img'] if info.get('img') is not None else info['img_path']


def _demo_image(cfg, path: str) -> str:
    """:func:`first_test_image`, written to ``path`` when in memory."""
    img = first_test_image(cfg)
    if isinstance(img, str):
        return img
    if not cv2.imwrite(path, img):
        raise OSError(f'cannot write the demo image {path!r}')
    return path


def infer_command(cfg, checkpoint: str, work_dir: str,
                  threads: int = 1) -> str:
    """Command running ``tools/infer.py`` with ``checkpoint`` on a demo
    image (see module doc); files go under ``work_dir``."""
    config_path = osp.join(work_dir, 'infer_config.py')
    cfg.dump(config_path)
    image = _demo_image(cfg, osp.join(work_dir, 'infer_demo.png'))
    # the quickstarts' small nets peak low: on the hourglass quickstart's
    # demo image the keypoint scores were 0.06-0.47 (median 0.21), so the
    # CLI's default --show-kpt-thr 0.3 would draw 3 of 17 keypoints
    args = ['python', 'tools/infer.py', config_path, checkpoint, image,
            '--out-dir', osp.join(work_dir, 'infer'), '--threads',
            str(threads), '--show-kpt-thr', '0.1']
    return ' '.join(shlex.quote(str(a)) for a in args)
