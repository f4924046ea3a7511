import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from kp_ext.codecs import NonFiniteMapError
from kp_ext.codecs.part_affinity_field import PartAffinityField
from kp_ext.models.heads import PartAffinityFieldHead
from kp_ext.models.losses.paf_loss import PAFLoss
from kp_ext.models.heads.paf_heads.paf_flip import (flip_pafs,
                                                    get_limb_flip_map)
from kp_ext.models.utils import flip_heatmaps
from kp_ext.registry import MODELS
from kp_ext.structures import (PoseDataSample, bboxes_from_keypoints,
                               flip_keypoints)

# COCO-17 left/right partners
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
INPUT = (96, 64)  # (w, h)
MAP = (12, 8)  # stride 8


def _people():
    """Two upright people (COCO order) with sub-pixel coordinates."""
    rng = np.random.default_rng(3)
    base = np.array([
        [0, -22], [-2, -24], [2, -24], [-4, -22], [4, -22],  # face
        [-8, -14], [8, -14], [-10, -4], [10, -4], [-11, 6], [11, 6],
        [-5, 4], [5, 4], [-5, 14], [5, 14], [-5, 24], [5, 24],
    ], np.float64)
    people = np.stack([base * 0.9 + [28.3, 34.6], base * 1.1 + [66.7, 33.2]])
    people += rng.uniform(-0.4, 0.4, people.shape)
    return people.astype(np.float32)


def _codec(**kw):
    return PartAffinityField(input_size=INPUT, heatmap_size=MAP, sigma=1.0,
                             **kw)


# ---------------------------------------------------------------- flip
def test_limb_flip_map_signs_and_errors():
    # K = 3, keypoints 0 and 1 swap. (0, 2) mirrors to (1, 2), stored
    # reversed as (2, 1): y negated. (0, 1) mirrors to (1, 0): reversed too.
    src, sx, sy = get_limb_flip_map([(0, 2), (2, 1), (0, 1)], [1, 0, 2])
    assert src == [1, 0, 2]
    assert sx == [1.0, 1.0, 1.0] and sy == [-1.0, -1.0, -1.0]
    # same direction stored: x negated
    src, sx, sy = get_limb_flip_map([(0, 2), (1, 2)], [1, 0, 2])
    assert src == [1, 0] and sx == [-1.0, -1.0] and sy == [1.0, 1.0]
    with pytest.raises(ValueError, match='mirror image'):
        get_limb_flip_map([(0, 2)], [1, 0, 2])
    with pytest.raises(ValueError, match='twice'):
        get_limb_flip_map([(0, 2), (2, 0)], [0, 1, 2])
    with pytest.raises(ValueError, match='channels'):
        flip_pafs(torch.zeros(1, 3, 4, 4), [(0, 2), (1, 2)], [1, 0, 2])


def test_flip_pafs_matches_encoding_of_flipped_keypoints():
    codec = _codec()  # COCO tree + redundant limbs: both limb directions
    kpts = _people()
    vis = np.ones(kpts.shape[:2], np.float32)
    vis[0, 3] = 0  # an unlabelled ear
    enc = codec.encode(kpts, vis)
    kf, vf = flip_keypoints(kpts, vis, INPUT, COCO_FLIP)
    enc_f = codec.encode(kf, vf)
    assert np.abs(enc['pafs']).sum() > 10  # something was drawn

    pafs = torch.from_numpy(enc['pafs'])[None]
    got = flip_pafs(pafs, codec.all_limbs, COCO_FLIP)
    np.testing.assert_allclose(got[0].numpy(), enc_f['pafs'], atol=1e-5)
    # numpy input, unbatched
    np.testing.assert_allclose(
        flip_pafs(enc['pafs'], codec.all_limbs, COCO_FLIP), enc_f['pafs'],
        atol=1e-5)
    # an involution: flipping back restores the original
    np.testing.assert_allclose(
        flip_pafs(got, codec.all_limbs, COCO_FLIP)[0].numpy(), enc['pafs'],
        atol=1e-5)
    # confidence maps with the existing flip_heatmaps
    hm = flip_heatmaps(torch.from_numpy(enc['heatmaps'])[None], COCO_FLIP)
    np.testing.assert_allclose(hm[0].numpy(), enc_f['heatmaps'], atol=1e-5)

    # controls: a flip without the sign change / without the limb swap is
    # wrong, so this test can tell
    src, _, _ = get_limb_flip_map(codec.all_limbs, COCO_FLIP)
    idx = np.stack([2 * np.array(src), 2 * np.array(src) + 1], 1).reshape(-1)
    no_sign = enc['pafs'][:, :, ::-1][idx]
    assert not np.allclose(no_sign, enc_f['pafs'], atol=1e-3)
    no_swap = enc['pafs'][:, :, ::-1].copy()
    no_swap[0::2] *= -1
    assert not np.allclose(no_swap, enc_f['pafs'], atol=1e-3)


# ---------------------------------------------------------------- head
K = 17
L = PartAffinityField(INPUT, MAP).num_limbs  # the default COCO limbs


@pytest.mark.parametrize('bg', [False, True])
def test_head_2017_shapes(bg):
    head = PartAffinityFieldHead(
        in_channels=8, num_keypoints=K, num_limbs=L, with_background=bg,
        arch='2017', num_stages=3, stage_channels=8, mid_channels=16)
    assert len(head.paf_stages) == len(head.cm_stages) == 3
    # stage 1: 3 x 3x3 conv, stages >= 2: 5 x 7x7 conv (paper)
    convs1 = [m for m in head.paf_stages[0].modules()
              if isinstance(m, torch.nn.Conv2d)]
    convs2 = [m for m in head.paf_stages[1].modules()
              if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size[0] for c in convs1] == [3, 3, 3, 1, 1]
    assert [c.kernel_size[0] for c in convs2] == [7] * 5 + [1, 1]
    assert convs2[0].in_channels == 8 + 2 * L + K + bg
    pafs, cms = head((torch.randn(2, 8, 6, 5), ))
    assert len(pafs) == len(cms) == 3
    for p, c in zip(pafs, cms):
        assert p.shape == (2, 2 * L, 6, 5)
        assert c.shape == (2, K + bg, 6, 5)
    # paper defaults: 6 stages, 128 channels, 512 then 128 in the 1x1;
    # 18 parts + background = 19 maps, 19 limbs = 38 PAF channels
    full = PartAffinityFieldHead(in_channels=128, num_keypoints=18,
                                 num_limbs=19, with_background=True)
    assert full.num_stages == 6
    mids = [m.out_channels for m in full.cm_stages[0].modules()
            if isinstance(m, torch.nn.Conv2d)]
    assert mids == [128, 128, 128, 512, 19]
    mids = [m.out_channels for m in full.paf_stages[5].modules()
            if isinstance(m, torch.nn.Conv2d)]
    assert mids == [128] * 6 + [38]


def test_head_2019_shapes_and_dense_blocks():
    head = PartAffinityFieldHead(
        in_channels=8, num_keypoints=K, num_limbs=L, arch='2019',
        num_paf_stages=3, num_cm_stages=2, stage_channels=4,
        mid_channels=[16, 16, 16, 8, 8], num_dense_blocks=2)
    assert len(head.paf_stages) == 3 and len(head.cm_stages) == 2
    x = torch.randn(1, 8, 5, 7)
    pafs, cms = head(x)
    assert len(pafs) == 3 and len(cms) == 2
    assert all(p.shape == (1, 2 * L, 5, 7) for p in pafs)
    assert all(c.shape == (1, K, 5, 7) for c in cms)
    # inputs: F, F + PAF, ..., CM stages F + PAF, F + PAF + CM
    first = [m for m in head.paf_stages[1].modules()
             if isinstance(m, torch.nn.Conv2d)][0]
    assert first.in_channels == 8 + 2 * L
    first = [m for m in head.cm_stages[0].modules()
             if isinstance(m, torch.nn.Conv2d)][0]
    assert first.in_channels == 8 + 2 * L
    first = [m for m in head.cm_stages[1].modules()
             if isinstance(m, torch.nn.Conv2d)][0]
    assert first.in_channels == 8 + 2 * L + K
    # dense block: three chained convs concatenated -> 3 x 4 channels
    block = head.paf_stages[0][0]
    assert block(torch.randn(1, 8, 5, 7)).shape == (1, 12, 5, 7)
    assert isinstance(head.paf_stages[0][2].activate, torch.nn.PReLU)
    # the CM stages see the PAFs: changing the last PAF stage changes them
    with torch.no_grad():
        head.paf_stages[-1][-1].bias.add_(1.0)
    assert not torch.allclose(head(x)[1][-1], cms[-1])


def test_head_arch_none_splits_backbone_stages():
    head = PartAffinityFieldHead(num_keypoints=K, num_limbs=L, arch=None,
                                 num_stages=2)
    assert len(list(head.parameters())) == 0
    feats = tuple(torch.randn(2, 2 * L + K, 8, 8) for _ in range(2))
    pafs, cms = head(feats)
    assert torch.equal(pafs[1], feats[1][:, :2 * L])
    assert torch.equal(cms[0], feats[0][:, 2 * L:])
    with pytest.raises(ValueError, match='expects 2 stage'):
        head(feats[:1])
    with pytest.raises(ValueError, match='2L'):
        head((torch.randn(2, 5, 8, 8), torch.randn(2, 5, 8, 8)))
    with pytest.raises(ValueError, match='in_channels'):
        PartAffinityFieldHead(in_channels=10, num_keypoints=K, num_limbs=L,
                              arch=None)
    with pytest.raises(ValueError, match='does not match'):
        PartAffinityFieldHead(
            num_keypoints=K, num_limbs=L + 1, arch=None,
            decoder=dict(type='PartAffinityField', input_size=INPUT,
                         heatmap_size=MAP))
    # built from the registry, hourglass-style; K and L from the decoder
    built = MODELS.build(dict(
        type='PartAffinityFieldHead', arch=None,
        decoder=dict(type='PartAffinityField', input_size=INPUT,
                     heatmap_size=MAP)))
    assert built.arch is None
    assert (built.num_keypoints, built.num_limbs) == (K, L)
    with pytest.raises(ValueError, match='num_limbs'):
        PartAffinityFieldHead(in_channels=8, num_keypoints=K)


@pytest.mark.parametrize('arch,name,net', [
    ('2017', 'OpenPose2017Head', dict(num_stages=2, stage_channels=4,
                                      mid_channels=8)),
    ('2019', 'OpenPose2019Head', dict(num_paf_stages=2, num_cm_stages=1,
                                      stage_channels=4, mid_channels=8,
                                      num_dense_blocks=2)),
    (None, 'PAFSplitHead', dict(num_stages=2))])
def test_one_class_per_network_and_the_arch_factory(arch, name, net):
    """Each network is a class registered under its own name; the
    ``PartAffinityFieldHead(arch=...)`` interface builds the same one (same
    class, same parameters from the same seed)."""
    from kp_ext.models.heads import BasePAFHead
    base = dict(num_keypoints=K, num_limbs=L)
    if arch is not None:
        base['in_channels'] = 6
    torch.manual_seed(0)
    direct = MODELS.build(dict(type=name, **base, **net))
    torch.manual_seed(0)
    legacy = MODELS.build(dict(type='PartAffinityFieldHead', arch=arch,
                               **base, **net))
    assert type(direct) is type(legacy) is MODELS.get(name)
    assert isinstance(direct, BasePAFHead) and direct.arch == arch
    sd_a, sd_b = direct.state_dict(), legacy.state_dict()
    assert list(sd_a) == list(sd_b)
    for key in sd_a:
        assert torch.equal(sd_a[key], sd_b[key]), key
    # the factory ignores the other networks' arguments, as the single
    # class did; the network classes take only their own
    others = dict(num_paf_stages=3, num_dense_blocks=4) if arch != '2019' \
        else dict(num_stages=5)
    assert type(PartAffinityFieldHead(arch=arch, **base, **net,
                                      **others)) is type(direct)
    with pytest.raises(TypeError, match=next(iter(others))):
        MODELS.build(dict(type=name, **base, **net, **others))


def test_factory_errors():
    with pytest.raises(ValueError, match="arch must be"):
        PartAffinityFieldHead(arch='2018', num_keypoints=K, num_limbs=L)
    with pytest.raises(ValueError, match='in_channels'):
        PartAffinityFieldHead(arch='2019', num_keypoints=K, num_limbs=L)
    with pytest.raises(ValueError, match='in_channels'):
        MODELS.build(dict(type='OpenPose2017Head', in_channels=0,
                          num_keypoints=K, num_limbs=L))


# ---------------------------------------------------------------- loss
def _sample(enc, mask=None):
    ds = PoseDataSample()
    fields = dict(heatmaps=torch.from_numpy(enc['heatmaps']),
                  pafs=torch.from_numpy(enc['pafs']))
    if mask is not None:
        fields['heatmap_mask'] = torch.as_tensor(mask)
    ds.gt_fields = PixelData(**fields)
    return ds


def test_paf_loss_values():
    loss = PAFLoss()
    out = torch.zeros(2, 3, 4, 5)
    tgt = torch.zeros(2, 3, 4, 5)
    tgt[0, 1, 2, 3] = 2.0
    tgt[1, 2, 0, 0] = 1.0
    # sum of squares 5 over B * H * W = 40 pixels
    assert loss(out, tgt).item() == pytest.approx(5 / 40)
    assert PAFLoss(reduction='element')(out, tgt).item() == \
        pytest.approx(5 / 120)
    assert PAFLoss(reduction='caffe')(out, tgt).item() == pytest.approx(1.25)
    mask = torch.ones(2, 4, 5)
    mask[0, 2, 3] = 0
    assert loss(out, tgt, mask).item() == pytest.approx(1 / 40)
    assert loss(out, tgt, mask[:, None]).item() == pytest.approx(1 / 40)
    assert PAFLoss(loss_weight=2.)(out, tgt, mask).item() == \
        pytest.approx(2 / 40)
    assert loss(out, tgt, torch.zeros(2, 4, 5)).item() == 0.0
    with pytest.raises(ValueError, match='mask'):
        loss(out, tgt, torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match='reduction'):
        PAFLoss(reduction='sum')


def test_head_loss_zero_at_target_and_masked_region_ignored():
    codec = _codec()
    enc = codec.encode(_people())
    mask = np.ones(MAP[::-1], np.float32)
    mask[:, :4] = 0  # W(p) = 0 on the left third
    ds = [_sample(enc, mask), _sample(enc, mask[None])]
    head = PartAffinityFieldHead(num_keypoints=K, num_limbs=L, arch=None)
    target = torch.cat([torch.from_numpy(enc['pafs']),
                        torch.from_numpy(enc['heatmaps'])])[None].repeat(
                            2, 1, 1, 1)
    losses = head.loss((target, target.clone()), ds)
    assert set(losses) == {'loss_paf', 'loss_heatmap'}
    assert losses['loss_paf'].item() == 0 and \
        losses['loss_heatmap'].item() == 0

    wrong_masked = target.clone()
    wrong_masked[..., :4] += 3.0  # wrong only where W = 0
    losses = head.loss((wrong_masked, wrong_masked), ds)
    assert losses['loss_paf'].item() == 0 and \
        losses['loss_heatmap'].item() == 0

    wrong = target.clone()
    wrong[:, 0, 2, 6] += 1.0  # one PAF value, in the supervised region
    wrong[:, 2 * L, 3, 7] += 2.0  # one heatmap value
    losses = head.loss((wrong, target), ds)
    hw = MAP[0] * MAP[1]
    # per stage: sum / (B * H * W); only stage 1 is wrong
    assert losses['loss_paf'].item() == pytest.approx(2 * 1 / (2 * hw))
    assert losses['loss_heatmap'].item() == pytest.approx(2 * 4 / (2 * hw))
    losses = head.loss((wrong, wrong), ds)  # summed over stages
    assert losses['loss_paf'].item() == pytest.approx(2 * 2 / (2 * hw))

    # without a mask every pixel counts
    losses = head.loss((wrong_masked, wrong_masked),
                       [_sample(enc), _sample(enc)])
    assert losses['loss_paf'].item() > 0
    with pytest.raises(ValueError, match='differ'):
        head.loss((target[..., :-1], ), ds)


def test_separate_heatmap_loss_weights_only_the_confidence_maps():
    codec = _codec()
    enc = codec.encode(_people())
    ds = [_sample(enc), _sample(enc)]
    target = torch.cat([torch.from_numpy(enc['pafs']),
                        torch.from_numpy(enc['heatmaps'])])[None].repeat(
                            2, 1, 1, 1)
    wrong = target.clone()
    wrong[:, 0, 2, 6] += 1.0
    wrong[:, 2 * L, 3, 7] += 2.0
    plain = PartAffinityFieldHead(num_keypoints=K, num_limbs=L, arch=None)
    heavy = PartAffinityFieldHead(
        num_keypoints=K, num_limbs=L, arch=None,
        loss_heatmap=dict(type='kp_ext.PAFLoss', loss_weight=5.0))
    a = plain.loss((wrong, target), ds)
    b = heavy.loss((wrong, target), ds)
    assert b['loss_paf'].item() == pytest.approx(a['loss_paf'].item())
    assert b['loss_heatmap'].item() == pytest.approx(
        5 * a['loss_heatmap'].item())
    assert a['loss_heatmap'].item() > 0


@pytest.mark.parametrize('arch', ['2017', '2019'])
def test_last_stage_loss_reaches_first_stage(arch):
    torch.manual_seed(0)
    head = PartAffinityFieldHead(
        in_channels=6, num_keypoints=3, num_limbs=2, arch=arch,
        num_stages=3, num_paf_stages=2, num_cm_stages=2, stage_channels=4,
        mid_channels=8, num_dense_blocks=2)
    x = torch.randn(2, 6, 6, 6, requires_grad=True)
    pafs, cms = head(x)
    (pafs[-1].square().mean() + cms[-1].square().mean()).backward()
    for stages in (head.paf_stages, head.cm_stages):
        grads = [p.grad for p in stages[0].parameters()]
        assert all(g is not None for g in grads)
    first_paf = [m for m in head.paf_stages[0].modules()
                 if isinstance(m, torch.nn.Conv2d)][0]
    assert first_paf.weight.grad.abs().sum() > 0
    if arch == '2017':  # CMs of stage 1 feed the PAFs of stage 2
        first_cm = [m for m in head.cm_stages[0].modules()
                    if isinstance(m, torch.nn.Conv2d)][0]
        assert first_cm.weight.grad.abs().sum() > 0


# ---------------------------------------------------------------- predict
def _arch_none_head(**kw):
    return PartAffinityFieldHead(
        num_keypoints=K, num_limbs=L, arch=None,
        decoder=dict(type='PartAffinityField', input_size=INPUT,
                     heatmap_size=MAP, sigma=1.0), **kw)


def _maps_of(enc):
    return torch.cat([torch.from_numpy(enc['pafs']),
                      torch.from_numpy(enc['heatmaps'])])[None]


def _match(pred, gt, tol):
    """Every GT person has a predicted person within ``tol`` px on all
    keypoints."""
    for person in gt:
        err = np.abs(pred - person[None]).max(axis=(1, 2))
        assert err.min() < tol, err


def test_head_predict_recovers_keypoints_and_flip_test():
    codec = _codec()
    kpts = _people()
    enc = codec.encode(kpts)
    head = _arch_none_head()
    preds = head.predict((_maps_of(enc), ), [PoseDataSample()])
    inst = preds[0]
    assert inst.keypoints.shape == (2, K, 2)
    assert inst.keypoint_scores.shape == (2, K)
    assert inst.scores.shape == (2, ) and inst.bbox_scores.shape == (2, )
    assert inst.bboxes.shape == (2, 4)
    _match(inst.keypoints, kpts, 1.0)
    np.testing.assert_allclose(
        inst.bboxes, bboxes_from_keypoints(inst.keypoints,
                                           inst.keypoint_scores))

    # flip test: the "flipped input" predicts the flipped people
    kf, _ = flip_keypoints(kpts, None, INPUT, COCO_FLIP)
    enc_f = codec.encode(kf)
    ds = PoseDataSample(metainfo=dict(flip_indices=COCO_FLIP))
    hm, paf = head.predict_maps([(_maps_of(enc), ), (_maps_of(enc_f), )],
                                [ds], dict(flip_test=True))
    np.testing.assert_allclose(hm[0].numpy(), enc['heatmaps'], atol=1e-5)
    np.testing.assert_allclose(paf[0].numpy(), enc['pafs'], atol=1e-5)
    preds, fields = head.predict(
        [(_maps_of(enc), ), (_maps_of(enc_f), )], [ds],
        dict(flip_test=True, output_heatmaps=True))
    _match(preds[0].keypoints, kpts, 1.0)
    assert fields[0].heatmaps.shape == (K, MAP[1], MAP[0])
    assert fields[0].pafs.shape == (2 * L, MAP[1], MAP[0])
    # the decoder's body model (coco.py) gives the parts' flip indices;
    # a decoder with bare limbs needs them in the metainfo
    assert head.decoder.flip_indices == COCO_FLIP
    preds = head.predict([(_maps_of(enc), ), (_maps_of(enc_f), )],
                         [PoseDataSample()], dict(flip_test=True))
    _match(preds[0].keypoints, kpts, 1.0)
    head.decoder.flip_indices = None
    with pytest.raises(ValueError, match='flip_indices'):
        head.predict([(_maps_of(enc), ), (_maps_of(enc_f), )],
                     [PoseDataSample()], dict(flip_test=True))


def test_base_head_decode_instances_batch_and_per_sample_paths():
    """BaseHead.decode: a codec's (keypoints, keypoint scores, instance
    scores) -> InstanceData with bbox_scores / scores, through
    batch_decode or the per-sample loop, with the input sizes passed on."""
    from kp_ext.codecs.base import BaseKeypointCodec

    class _PerSample(PartAffinityField):
        """No batch_decode; a per-sample decode with instance scores."""
        batch_decode = BaseKeypointCodec.batch_decode
        decode = PartAffinityField.decode_instances

    codec = _codec()
    kpts = _people()
    maps = _maps_of(codec.encode(kpts)).repeat(2, 1, 1, 1)
    hm, paf = maps[:, 2 * L:], maps[:, :2 * L]
    head = _arch_none_head()
    sizes = [INPUT, (INPUT[0] * 2, INPUT[1])]
    batched = head.decode((hm, paf), input_sizes=sizes)
    head.decoder = _PerSample(input_size=INPUT, heatmap_size=MAP, sigma=1.0)
    assert not head.decoder.support_batch_decoding
    looped = head.decode((hm, paf), input_sizes=sizes)
    for b, p_, size in zip(batched, looped, sizes):
        want = codec.decode_instances(hm[0].numpy(), paf[0].numpy(),
                                      input_size=size)
        for inst in (b, p_):
            np.testing.assert_array_equal(inst.keypoints, want[0])
            np.testing.assert_array_equal(inst.keypoint_scores, want[1])
            np.testing.assert_array_equal(inst.bbox_scores, want[2])
            np.testing.assert_array_equal(inst.scores, want[2])
    _match(batched[0].keypoints, kpts, 1.0)
    np.testing.assert_allclose(batched[1].keypoints[..., 0],
                               (batched[0].keypoints[..., 0] + 0.5) * 2 - 0.5,
                               atol=1e-4)
    with pytest.raises(ValueError, match='input_sizes'):
        head.decode((hm, paf), input_sizes=sizes[:1])


def test_head_predict_input_frame_from_batch_input_shape():
    # maps of a 2x larger input: keypoints come out in that input's pixels
    big_in = (INPUT[0] * 2, INPUT[1] * 2)
    big = PartAffinityField(input_size=big_in, heatmap_size=MAP, sigma=1.0)
    kpts = _people() * 2
    head = _arch_none_head()
    ds = PoseDataSample(metainfo=dict(batch_input_shape=big_in[::-1]))
    preds = head.predict((_maps_of(big.encode(kpts)), ), [ds])
    _match(preds[0].keypoints, kpts, 2.0)


def test_head_predict_empty():
    head = _arch_none_head()
    zeros = torch.zeros(2, 2 * L + K, MAP[1], MAP[0])
    preds = head.predict((zeros, ), [PoseDataSample(), PoseDataSample()])
    assert len(preds) == 2
    for inst in preds:
        assert inst.keypoints.shape == (0, K, 2)
        assert inst.keypoint_scores.shape == (0, K)
        assert inst.scores.shape == (0, )
        assert inst.bboxes.shape == (0, 4)
    # NaN maps are an error naming the channels, not "nobody"
    nan = torch.full((1, 2 * L + K, MAP[1], MAP[0]), float('nan'))
    with pytest.raises(NonFiniteMapError,
                       match=r'PartAffinityField.batch_decode: .*heatmap '
                       r'channel\(s\).* and .*PAF channel\(s\)'):
        head.predict((nan, ), [PoseDataSample()])
    with pytest.raises(RuntimeError, match='decoder'):
        PartAffinityFieldHead(num_keypoints=K, num_limbs=L,
                              arch=None).predict((zeros, ), None)


# ------------------------------------------------------- foreign scope
def _foreign_models():
    """A model registry of another scope (as MMPose's, say), child of
    mmengine's root like kp_ext's."""
    from mmengine.registry import MODELS as ROOT
    from mmengine.registry import Registry
    scope = 'kp_ext_paf_foreign_test'
    found = ROOT._search_child(scope)   # (an empty registry is falsy)
    return Registry('model', parent=ROOT, scope=scope) if found is None \
        else found


@pytest.mark.parametrize('cfg', [
    dict(type='kp_ext.OpenPose2017Head', in_channels=4, num_stages=1,
         stage_channels=4, mid_channels=4),
    dict(type='kp_ext.OpenPose2019Head', in_channels=4, num_paf_stages=1,
         num_cm_stages=1, stage_channels=4, mid_channels=4,
         num_dense_blocks=1),
    dict(type='kp_ext.PAFSplitHead'),
    dict(type='kp_ext.PartAffinityFieldHead', arch='2017', in_channels=4,
         num_stages=1, stage_channels=4, mid_channels=4)])
def test_heads_build_their_default_parts_under_a_foreign_scope(cfg):
    """The default loss names its scope (``kp_ext.PAFLoss``), so a caller
    whose default scope is another library's builds the same head."""
    from mmengine.registry import DefaultScope
    foreign = _foreign_models()
    with DefaultScope.overwrite_default_scope(foreign.scope):
        head = foreign.build(dict(cfg, num_keypoints=K, num_limbs=L))
        assert type(head.loss_module) is PAFLoss
        # control: an unscoped 'PAFLoss' is not found from that scope
        with pytest.raises(KeyError, match='PAFLoss'):
            MODELS.build(dict(type='PAFLoss'))
    feats = torch.randn(1, 4 if 'in_channels' in cfg else 2 * L + K, 3, 3)
    pafs, cms = head(feats)
    assert pafs[-1].shape == (1, 2 * L, 3, 3) and cms[-1].shape == (1, K, 3, 3)
