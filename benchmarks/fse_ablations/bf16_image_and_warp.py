# FSE candidate for the one-hour confirmation (benchmarks/RESULTS_fse.md):
# configs/fse_faces.py with the two levers that won the 10-minute proxy
# rows, combined: bf16 autocast (BF16OptimWrapper, more iterations per
# minute) and training pairs (x, x o T2) instead of (x o T1, x o T1 o T2)
# (TPSWarp pair_mode='image_and_warp')
_base_ = ['../../configs/fse_faces.py']
optim_wrapper = dict(type='BF16OptimWrapper')
model = dict(warp=dict(pair_mode='image_and_warp'))
