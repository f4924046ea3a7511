# OpenPose, TPAMI 2019 architecture on COCO: PAF stages first, then
# confidence-map stages; each stage 5 blocks of three chained 3x3 convs
# (outputs concatenated), PReLU. The paper's best COCO trade-off: 5 PAF
# stages + 1 confidence-map stage. Everything else (kp_ext's COCO-17 body
# model, data, grouping, training) as configs/openpose/openpose_kpext_coco.py.
_base_ = ['openpose_kpext_coco.py']

model = dict(
    head=dict(
        _delete_=True,
        type='OpenPose2019Head',
        in_channels=128,
        num_paf_stages=5,
        num_cm_stages=1,
        num_dense_blocks=5,
        stage_channels=128,
        mid_channels=512,
        loss=dict(type='PAFLoss'),
        decoder={{_base_.codec}}))
