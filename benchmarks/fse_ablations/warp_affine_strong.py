# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# larger translations and scale changes (translation 0.2 of the half side,
# scale 0.77-1.30: the range of IMM / alldbi, RESULTS_fse_warps.md)
_base_ = ['../../configs/fse_faces.py']
model = dict(warp=dict(translation=0.2, scale=(0.77, 1.30)))
