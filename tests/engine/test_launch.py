"""``kp_ext.engine.launch.setup_distributed`` on a CPU-only torch: gloo,
``device_ids=None``, clear errors for what cannot work (the two-process
runs are in test_distributed_cpu.py)."""
import socket

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from kp_ext.engine.launch import setup_distributed

pytestmark = pytest.mark.skipif(torch.cuda.is_available(),
                                reason='CPU-only behaviour')


def _cfg():
    return Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))


def test_no_launcher_changes_nothing():
    cfg = _cfg()
    setup_distributed(cfg, 'none')
    assert cfg.launcher == 'none'
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg


def test_pytorch_launcher_on_cpu_uses_gloo_and_no_device_ids(monkeypatch):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = _cfg()
    try:
        setup_distributed(cfg, 'pytorch')
        assert torch_dist.is_initialized()
        assert torch_dist.get_backend() == 'gloo'
    finally:
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()
    assert cfg.launcher == 'pytorch'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    assert cfg.model_wrapper_cfg.device_ids is None


def test_pytorch_launcher_without_torchrun_env(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='tools/dist_train.sh'):
        setup_distributed(_cfg(), 'pytorch')


@pytest.mark.parametrize('launcher', ['slurm', 'mpi'])
def test_slurm_mpi_on_cpu_point_to_torchrun(launcher):
    with pytest.raises(ValueError, match='needs CUDA.*torchrun'):
        setup_distributed(_cfg(), launcher)
