#!/usr/bin/env python3
"""Writes the safetensors fixtures the IO tests read, independently of the engine's writer.

Run with Debian's python3-torch:  /usr/bin/python3 make_fixtures.py   (from this folder)
torch 1.13 has no safetensors package, so the format is written by hand with struct + json,
deliberately unlike the engine: tensors appear in insertion (not sorted) order, the header is padded
with spaces, and dtypes are mixed. expected.json holds the float32 bit patterns of the values as torch converts them.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


DTYPE_NAME = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16", torch.int64: "I64"}


def write(path, tensors, metadata=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in tensors:
        b = raw_bytes(t)
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def expected_entry(t):
    # float32 bit patterns, so infinities, -0.0 and subnormals compare exactly (JSON has no inf).
    values = t.float().flatten().tolist()
    return {"shape": list(t.shape), "bits": [struct.unpack("<I", struct.pack("<f", x))[0] for x in values]}


def main():
    g = torch.Generator().manual_seed(1234)
    expected = {}

    mixed = [
        ("z.weight", torch.randn(2, 3, generator=g)),
        ("a.bias", torch.randn(5, generator=g).to(torch.bfloat16)),
        ("m.half", (torch.randn(2, 2, generator=g) * 3).to(torch.float16)),
        ("scalar", torch.tensor(2.5)),
        ("empty", torch.zeros(0, 4)),
    ]
    # Values that exercise bf16 widening exactly: subnormal, negative zero, infinity, large.
    mixed.append(("b.special", torch.tensor([1e-40, -0.0, float("inf"), -3.0e38, 1.0 / 3.0]).to(torch.bfloat16)))
    write(os.path.join(HERE, "torch_mixed.safetensors"), mixed, {"format": "pt", "source": "make_fixtures.py"})
    expected["torch_mixed.safetensors"] = {name: expected_entry(t) for name, t in mixed}

    # A tiny Llama checkpoint in bf16 with GQA, as Hugging Face would save it (plus a stale rotary buffer).
    cfg = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 16, "hidden_size": 8,
        "intermediate_size": 12, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
        "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": [2, 3], "hidden_act": "silu", "torch_dtype": "bfloat16",
        "attention_bias": False, "mlp_bias": False, "rope_scaling": None, "initializer_range": 0.02,
        "pretraining_tp": 1, "use_cache": True, "transformers_version": "4.44.0",
    }
    d, f, v, hd = 8, 12, 16, 4
    names = [
        ("model.embed_tokens.weight", (v, d)),
        ("model.layers.0.input_layernorm.weight", (d,)),
        ("model.layers.0.self_attn.q_proj.weight", (2 * hd, d)),
        ("model.layers.0.self_attn.k_proj.weight", (hd, d)),
        ("model.layers.0.self_attn.v_proj.weight", (hd, d)),
        ("model.layers.0.self_attn.o_proj.weight", (d, 2 * hd)),
        ("model.layers.0.post_attention_layernorm.weight", (d,)),
        ("model.layers.0.mlp.gate_proj.weight", (f, d)),
        ("model.layers.0.mlp.up_proj.weight", (f, d)),
        ("model.layers.0.mlp.down_proj.weight", (d, f)),
        ("model.norm.weight", (d,)),
        ("lm_head.weight", (v, d)),
    ]
    tensors = [(n, (torch.randn(*s, generator=g) * 0.1).to(torch.bfloat16)) for n, s in names]
    tensors.reverse()  # file order need not follow any convention
    tensors.append(("model.layers.0.self_attn.rotary_emb.inv_freq", 1.0 / (500000.0 ** (torch.arange(0, hd, 2).float() / hd))))
    folder = os.path.join(HERE, "tiny_llama_bf16")
    os.makedirs(folder, exist_ok=True)
    write(os.path.join(folder, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    expected["tiny_llama_bf16/model.safetensors"] = {n: expected_entry(t) for n, t in tensors}

    with open(os.path.join(HERE, "expected.json"), "w") as fh:
        json.dump(expected, fh, indent=1)


if __name__ == "__main__":
    main()
