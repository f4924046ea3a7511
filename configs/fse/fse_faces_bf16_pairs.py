# kp_ext VARIANT of configs/fse_faces.py (itself a CPU-hour variant of
# Thewlis et al., ICCV 2017; the paper setting is configs/fse/fse_paper_celeba.py).
# What this file changes from configs/fse_faces.py (issue 19, each measured
# in benchmarks/RESULTS_fse.md):
# - forward under bf16 autocast on the CPU (BF16OptimWrapper): ~1.5x the
#   iterations per minute on an avx512_bf16 CPU (slower elsewhere:
#   --cfg-options optim_wrapper.type=OptimWrapper);
# - training pairs (x, x o T2), the image and one TPS warp of it, instead of
#   the paper's / public code's two warped copies (x o T1, x o T1 o T2)
#   (TPSWarp pair_mode='image_and_warp').
# One CPU hour, 2 threads: NME 10.52 % (68 pts), NME_5pt 8.10 %, NME_mafl
# 12.01 % on unseen identities (14.7 % for configs/fse_faces.py):
#   python tools/benchmark.py accuracy --model fse --minutes 60 --threads 2
# (measured with benchmarks/fse_ablations/bf16_image_and_warp.py, the same
# two changes).
_base_ = ['../fse_faces.py']
optim_wrapper = dict(type='BF16OptimWrapper')
model = dict(warp=dict(pair_mode='image_and_warp'))
