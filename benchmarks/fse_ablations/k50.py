# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# K = 50 landmarks instead of 30
_base_ = ['../../configs/fse_faces.py']
num_keypoints = 50
model = dict(backbone=dict(out_channels=num_keypoints),
             head=dict(num_keypoints=num_keypoints))
