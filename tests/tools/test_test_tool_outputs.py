"""tools/test.py: progress lines during evaluation and where --show-dir
put the pictures."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/quickstart/hourglass_synthetic.py'


@pytest.mark.slow
def test_progress_and_show_dir_message(tmp_path):
    from kp_ext.registry import MODELS
    cfg = Config.fromfile(str(CONFIG))
    model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'init.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    work = tmp_path / 'work'
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(CONFIG), str(ckpt),
         '--work-dir', str(work), '--show-dir', 'vis', '--cfg-options',
         'test_dataloader.dataset.num_samples=6',
         'test_dataloader.batch_size=2', 'test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # 3 batches < the config's logger interval (20): one line per batch
    progress = re.findall(r'Epoch\(test\) \[(\d)/3\]\s+eta:', out)
    assert progress == ['1', '2', '3'], out[-3000:]
    m = re.search(r'(\d+) pictures of the predictions written to (\S+)', out)
    assert m, out[-3000:]
    vis_dir = Path(m.group(2))
    assert vis_dir.parent.parent == work and vis_dir.name == 'vis'
    assert int(m.group(1)) == 6
    assert len(list(vis_dir.glob('*.png'))) == 6
