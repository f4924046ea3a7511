#!/usr/bin/env bash
# Distributed testing through torchrun + mmengine DDP, the same command on
# GPUs (nccl, one process per GPU) and on a CPU-only torch (gloo):
#   bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args...]
# Several machines: on each, NNODES=<machines> NODE_RANK=<0..NNODES-1>
# MASTER_ADDR=<address of node 0> PORT=<free port> bash tools/dist_...
# (NUM_PROCESSES per machine).
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
torchrun \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
