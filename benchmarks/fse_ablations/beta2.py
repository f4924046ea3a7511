# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# the spatial softmax's inverse temperature beta = 2 instead of 1 (sharper
# maps at the same logits)
_base_ = ['../../configs/fse_faces.py']
model = dict(head=dict(beta=2.0))
