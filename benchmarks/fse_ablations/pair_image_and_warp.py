# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# training pairs (x, x o T2) -- the image and one warp of it -- instead of
# two warped copies (x o T1, x o T1 o T2) (TPSWarp pair_mode)
_base_ = ['../../configs/fse_faces.py']
model = dict(warp=dict(pair_mode='image_and_warp'))
