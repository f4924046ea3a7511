# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# the diversity loss weighted 10x (equivariance : diversity = 1 : 10; the
# alldbi FSE code's weights are ~1 : 30 in kp_ext's units,
# benchmarks/RESULTS_fse_warps.md)
_base_ = ['../../configs/fse_faces.py']
model = dict(head=dict(loss_diversity=dict(loss_weight=10.0)))
