# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# the forward pass under bf16 autocast on the CPU (BF16OptimWrapper): more
# iterations in the same wall-clock budget where the CPU has native bf16
_base_ = ['../../configs/fse_faces.py']
optim_wrapper = dict(type='BF16OptimWrapper')
