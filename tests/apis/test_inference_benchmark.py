"""benchmarks/inference.py: the FLOP count against a hand count, and one
tiny run of the whole table."""
import pytest
import torch
from torch import nn

from tiny_models import load_script


def test_gflops_counts_two_flops_per_multiply_add():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                        nn.Conv2d(8, 4, 1))
    x = torch.randn(1, 3, 16, 16)
    by_hand = 2 * 16 * 16 * (8 * 3 * 9 + 4 * 8)
    bench = load_script('benchmarks/inference.py')
    assert bench.gflops(net, x) * 1e9 == pytest.approx(by_hand)


@pytest.mark.slow
def test_table_for_a_quickstart_model(tmp_path):
    pytest.importorskip('onnxruntime', reason='needs onnxruntime')
    out = tmp_path / 'card.md'
    rows = load_script('benchmarks/inference.py').main([
        '--configs', 'configs/quickstart/fse_synthetic.py',
        '--batch-sizes', '1', '2', '--repeats', '1', '--out', str(out)])
    assert [r['batch'] for r in rows] == [1, 2]
    assert all(r['eager'] > 0 and r['cl'] > 0 and r['ort'] > 0
               for r in rows)
    text = out.read_text()
    assert 'FSEConvNet' in text and '1 torch / onnxruntime thread' in text
