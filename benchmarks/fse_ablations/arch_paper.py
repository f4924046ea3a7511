# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# the paper's FSEConvNet (arch='paper') instead of the faster 'fast' net
_base_ = ['../../configs/fse_faces.py']
model = dict(backbone=dict(arch='paper'))
