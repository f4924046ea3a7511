"""Where a finished mmengine run left its outputs (for the quickstarts)."""
import glob
import os.path as osp

__all__ = ['run_outputs']


def run_outputs(runner, vis_subdir: str = 'vis') -> dict:
    """Checkpoint, log file and pictures of ``runner``'s run.

    The checkpoint is the one ``last_checkpoint`` names (mmengine's
    CheckpointHook writes it), else the newest ``*.pth`` in the work dir.
    """
    work_dir = runner.work_dir
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.exists(last):
        with open(last) as f:
            checkpoint = f.read().strip()
    else:
        ckpts = sorted(glob.glob(osp.join(work_dir, '*.pth')),
                       key=osp.getmtime)
        checkpoint = ckpts[-1] if ckpts else None
    vis_dir = osp.join(runner.log_dir, vis_subdir)
    pictures = sorted(glob.glob(osp.join(vis_dir, '**', '*.png'),
                                recursive=True))
    return dict(checkpoint=checkpoint, vis_dir=vis_dir, pictures=pictures,
                log_file=osp.join(runner.log_dir, f'{runner.timestamp}.log'))
