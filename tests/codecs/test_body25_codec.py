"""The 25-part (BODY_25) PAF codec: encode -> decode round trip on the
23-point layout (COCO-17 + feet), and the derived neck / mid-hip maps."""
import numpy as np

from kp_ext.codecs import PartAffinityField


def _people():
    """Two upright people (23 points: coco_foot23.py order), far apart."""
    base = np.array([
        [0, -60], [-4, -64], [4, -64], [-9, -62], [9, -62],      # head
        [-18, -45], [18, -45], [-24, -22], [24, -22], [-26, 0],  # arms
        [26, 0], [-10, 0], [10, 0], [-11, 30], [11, 30],         # hips knees
        [-12, 60], [12, 60],                                      # ankles
        [-20, 66], [-26, 62], [-10, 67],   # left big toe, small toe, heel
        [20, 66], [26, 62], [10, 67]], np.float64)  # the right ones
    # coco.py: odd ids are left (image right of the body axis for a figure
    # facing the camera): mirror x of the left points
    kpts = np.stack([base + (70, 90), base * 0.9 + (200, 100)])
    return kpts, np.ones(kpts.shape[:2])


def test_body25_round_trip_and_derived_parts():
    codec = PartAffinityField(input_size=(288, 192), heatmap_size=(144, 96),
                              sigma=1.5, body_model='body25.py')
    assert (codec.num_keypoints, codec.num_limbs,
            codec.num_dataset_keypoints) == (25, 26, 23)
    kpts, vis = _people()
    enc = codec.encode(kpts, vis)
    assert enc['heatmaps'].shape == (25, 96, 144)
    assert enc['pafs'].shape == (52, 96, 144)
    assert enc['keypoint_weights'].shape == (2, 23)
    # neck (part 1) and mid-hip (part 8) peak at the midpoints
    for part, (a, b) in ((1, (5, 6)), (8, (11, 12))):
        mid = (kpts[0, a] + kpts[0, b]) / 2
        x, y = ((mid + 0.5) / 2 - 0.5).round().astype(int)
        assert enc['heatmaps'][part, y, x] > 0.8
    dec, scores, inst = codec.decode_instances(enc)
    assert dec.shape == (2, 23, 2) and len(inst) == 2
    order = np.argsort(dec[:, 0, 0])
    err = np.abs(dec[order] - kpts).max()
    assert err < 0.6, err   # sub-pixel peaks at stride 2
    assert (scores > 0.5).all()


def test_body25_missing_hip_drops_only_the_mid_hip():
    codec = PartAffinityField(input_size=(288, 192), heatmap_size=(144, 96),
                              sigma=1.5, body_model='body25.py')
    kpts, vis = _people()
    vis[0, 11] = 0   # left hip unlabelled: no mid-hip for person 0
    enc = codec.encode(kpts, vis)
    x, y = (((kpts[0, 11] + kpts[0, 12]) / 2 + 0.5) / 2 - 0.5).round()
    assert enc['heatmaps'][8, int(y), int(x)] < 0.1
    assert enc['keypoint_weights'][0, 11] == 0
    assert enc['keypoint_weights'][0, 17:].all()
