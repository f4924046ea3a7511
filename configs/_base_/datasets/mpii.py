# MPII in MMPose's json layout: data/mpii/annotations/mpii_{train,val}.json,
# images in data/mpii/images/ (centre/scale boxes, head boxes for PCKh).
dataset_type = 'MpiiDataset'
data_mode = 'topdown'
data_root = 'data/mpii/'
