#!/usr/bin/env python3
"""Scores tokens with the independent PyTorch Llama of make_golden.py, reading a Hugging Face folder.

    /usr/bin/python3 tools/golden/torch_logprobs.py MODEL_DIR '[ids of prompt + text]' N_PROMPT

Reads MODEL_DIR/config.json and MODEL_DIR/model.safetensors (fp32 or bf16) with its own safetensors
parser, runs the reference forward in float64, and prints {"logprobs": [...]} for every token after the
first N_PROMPT, each scored after the tokens before it. Tests use it to check that a checkpoint written
by the engine loads in a PyTorch implementation and gives the same log-probabilities.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import forward  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        buf = bytearray(raw[base + start:base + end])
        if info["dtype"] == "F32":
            t = torch.frombuffer(buf, dtype=torch.float32)
        elif info["dtype"] == "BF16":
            t = torch.frombuffer(buf, dtype=torch.bfloat16).float()
        else:
            raise SystemExit(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32 or BF16")
        tensors[name] = t.reshape(info["shape"]).double()
    return tensors


def main():
    folder, ids, n_prompt = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
    cfg.setdefault("tie_word_embeddings", False)
    params = read_safetensors(os.path.join(folder, "model.safetensors"))
    tokens = torch.tensor([ids])
    logits = forward(params, cfg, tokens, torch.tensor([len(ids)]))[0]
    logp = torch.log_softmax(logits, dim=-1)
    out = [logp[i - 1, ids[i]].item() for i in range(n_prompt, len(ids))]
    print(json.dumps({"logprobs": out}))


if __name__ == "__main__":
    main()
