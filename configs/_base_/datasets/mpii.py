# MPII in MMPose's json layout: data/mpii/annotations/mpii_{train,val}.json,
# images in data/mpii/images/ (centre/scale boxes); the official PCKh head
# boxes of the val split: data/mpii/annotations/mpii_gt_val.mat.
dataset_type = 'MpiiDataset'
data_mode = 'topdown'
# data_root: $KP_EXT_DATA/mpii/, default <repo>/data/mpii/ (configs/README.md)
data_root = '{{$KP_EXT_DATA:{{fileDirname}}/../../../data}}/mpii/'
