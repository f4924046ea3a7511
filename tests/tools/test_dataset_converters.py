"""tools/dataset_converters/: each converter on a small generated sample
in the original format, read back by the kp_ext reader."""
import cv2
import numpy as np
import pytest

from kp_ext.datasets import FaceLandmarkCSVDataset


def _write_pts(path, points):
    lines = ['version: 1', f'n_points:  {len(points)}', '{']
    lines += [f'{x:.3f} {y:.3f}' for x, y in points] + ['}']
    path.write_text('\n'.join(lines) + '\n')


def test_pts_to_face_csv_round_trip(load_tool, tmp_path, capsys):
    rng = np.random.default_rng(0)
    img_dir = tmp_path / 'faces'
    (img_dir / 'sub').mkdir(parents=True)
    truth = {}
    for name in ('alice_01', 'alice_02', 'sub/bob_01'):
        pts = rng.uniform(10, 90, size=(68, 2))
        cv2.imwrite(str(img_dir / f'{name}.png'),
                    np.full((100, 120, 3), 128, np.uint8))
        _write_pts(img_dir / f'{name}.pts', pts)
        truth[f'{name}.png'] = pts
    out = tmp_path / 'faces.csv'
    load_tool('tools/dataset_converters/pts2face_csv.py').main(
        [str(img_dir), str(out), '--check-names'])
    assert 'wrote 3 faces' in capsys.readouterr().out
    ds = FaceLandmarkCSVDataset(ann_file=str(out),
                                data_prefix=dict(img=str(img_dir)))
    assert len(ds) == 3
    for i in range(3):
        info = ds.get_data_info(i)
        # PTS is 1-based: the reader's 0-based pixels are one less
        np.testing.assert_allclose(info['keypoints'][0],
                                   truth[info['img_name'].split('/', 1)[1]]
                                   - 1, atol=1e-3)
    assert {ds.get_data_info(i)['identity'] for i in range(3)} == {
        'alice', 'bob'}


def test_pts_errors_name_the_file(load_tool, tmp_path):
    conv = load_tool('tools/dataset_converters/pts2face_csv.py')
    img_dir = tmp_path / 'faces'
    img_dir.mkdir()
    _write_pts(img_dir / 'a_01.pts', [(1, 2)] * 5)
    with pytest.raises(ValueError, match=r'a_01\.pts: 5 points, expected 68'):
        conv.convert(str(img_dir), str(tmp_path / 'o.csv'))
    (img_dir / 'a_01.pts').write_text('version: 1\nn_points: 2\n{\n1 2\n}\n')
    with pytest.raises(ValueError, match=r'a_01\.pts: n_points is 2 but 1'):
        conv.convert(str(img_dir), str(tmp_path / 'o.csv'), num_points=2)
    _write_pts(img_dir / 'a_01.pts', [(1, 2)] * 2)
    with pytest.raises(FileNotFoundError, match=r'a_01\.pts: no image'):
        conv.convert(str(img_dir), str(tmp_path / 'o.csv'), num_points=2)
    cv2.imwrite(str(img_dir / 'noid.png'), np.zeros((4, 4, 3), np.uint8))
    _write_pts(img_dir / 'noid.pts', [(1, 2)] * 2)
    (img_dir / 'a_01.pts').unlink()
    with pytest.raises(ValueError, match=r'noid\.png: file name is not'):
        conv.convert(str(img_dir), str(tmp_path / 'o.csv'), num_points=2,
                     check_names=True)
