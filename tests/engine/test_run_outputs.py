import os
import time

from kp_ext.utils.run_outputs import run_outputs


class _Runner:

    def __init__(self, work_dir):
        self.work_dir = str(work_dir)
        self.timestamp = '20260101_000000'
        self.log_dir = os.path.join(self.work_dir, self.timestamp)


def test_checkpoint_from_last_checkpoint_else_newest(tmp_path):
    runner = _Runner(tmp_path)
    os.makedirs(os.path.join(runner.log_dir, 'vis', 'sub'))
    open(os.path.join(runner.log_dir, 'vis', 'sub', 'a.png'), 'w').close()
    assert run_outputs(runner)['checkpoint'] is None
    old, new = tmp_path / 'epoch_1.pth', tmp_path / 'epoch_2.pth'
    old.write_bytes(b'')
    time.sleep(0.01)
    new.write_bytes(b'')
    os.utime(old, (time.time() - 100, time.time() - 100))
    out = run_outputs(runner)
    assert out['checkpoint'] == str(new)
    assert out['pictures'] == [os.path.join(runner.log_dir, 'vis', 'sub',
                                            'a.png')]
    assert out['log_file'] == os.path.join(runner.log_dir,
                                           '20260101_000000.log')
    (tmp_path / 'last_checkpoint').write_text(str(old) + '\n')
    assert run_outputs(runner)['checkpoint'] == str(old)
