# FSE ablation row (benchmarks/RESULTS_fse.md): configs/fse_faces.py with
# training batches of 16 pairs instead of 32 (twice the updates in the same
# wall time, same learning rate)
_base_ = ['../../configs/fse_faces.py']
train_dataloader = dict(batch_size=16)
