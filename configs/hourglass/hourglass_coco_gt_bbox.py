# Variant of configs/hourglass_coco.py. What it changes: val/test crops come
# from the ground-truth person boxes (bbox_file=None) instead of person
# detections. Every other setting (rescoring, OKS-NMS, COCOeval) is the
# same. Numbers from this config are NOT the COCO top-down protocol that
# MMPose and the papers report (docs/PROTOCOLS.md): gt boxes
# skip missed and badly placed detections, usually scoring higher.
# The same from the command line:
#   --cfg-options val_dataloader.dataset.bbox_file=None \
#                 test_dataloader.dataset.bbox_file=None
_base_ = ['../hourglass_coco.py']

val_dataloader = dict(dataset=dict(bbox_file=None))
test_dataloader = val_dataloader
