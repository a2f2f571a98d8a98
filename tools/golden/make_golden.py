#!/usr/bin/env python3
"""Writes the engine's golden parity state with an independent PyTorch Llama reference.

Run with Debian's python3-torch (transformers is not needed):
    /usr/bin/python3 tools/golden/make_golden.py [OUT_DIR]
OUT_DIR defaults to tests/AlignStream.Engine.Tests/Golden/data. It receives:
  model/config.json, model/model.safetensors  a random GQA Llama (HF tensor names)
  inputs.json                                 sequences, DPO pairs, hyper-parameters
  expected.safetensors                        logits, token log-probs, entropies, gradients, weights after AdamW
  expected.json                               scalar results (DPO loss, per-pair sums)
The reference computes in float64 from the float32 weights, so it is a float-precision oracle.
"""
import json
import math
import os
import struct
import sys

import torch

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32,
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "tie_word_embeddings": False,
    "hidden_act": "silu",
    "bos_token_id": 1,
    "eos_token_id": 2,
    "torch_dtype": "float32",
}

BETA = 0.5
LABEL_SMOOTHING = 0.1
LR = 1e-2
WEIGHT_DECAY = 0.1
BETAS = (0.9, 0.999)
EPS = 1e-8


def param_names(cfg):
    """Canonical HF names and shapes."""
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = d // cfg["num_attention_heads"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    out = [("model.embed_tokens.weight", [v, d])]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        out += [
            (p + "input_layernorm.weight", [d]),
            (p + "self_attn.q_proj.weight", [q, d]),
            (p + "self_attn.k_proj.weight", [kv, d]),
            (p + "self_attn.v_proj.weight", [kv, d]),
            (p + "self_attn.o_proj.weight", [d, q]),
            (p + "post_attention_layernorm.weight", [d]),
            (p + "mlp.gate_proj.weight", [f, d]),
            (p + "mlp.up_proj.weight", [f, d]),
            (p + "mlp.down_proj.weight", [d, f]),
        ]
    out.append(("model.norm.weight", [d]))
    if not cfg["tie_word_embeddings"]:
        out.append(("lm_head.weight", [v, d]))
    return out


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer (F32 only): 8-byte LE header length, JSON header, raw data."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        raw = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for b in blobs:
            fh.write(b)


def rope_tables(cfg, length):
    """cos/sin the way transformers' LlamaRotaryEmbedding builds them (float32), then widened."""
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(length, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().double(), emb.sin().double()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def forward(params, cfg, tokens, lengths):
    """Logits [B, T, V] for right-padded tokens [B, T] with true lengths [B]."""
    b, t = tokens.shape
    d = cfg["hidden_size"]
    nh, kvh = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = d // nh
    cos, sin = rope_tables(cfg, t)
    valid = torch.arange(t)[None, :] < lengths[:, None]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    mask = causal[None, None, :, :] & valid[:, None, None, :]
    x = params["model.embed_tokens.weight"][tokens]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, params[p + "input_layernorm.weight"], cfg["rms_norm_eps"])
        q = (h @ params[p + "self_attn.q_proj.weight"].T).view(b, t, nh, hd).transpose(1, 2)
        k = (h @ params[p + "self_attn.k_proj.weight"].T).view(b, t, kvh, hd).transpose(1, 2)
        v = (h @ params[p + "self_attn.v_proj.weight"].T).view(b, t, kvh, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // kvh, dim=1)
        v = v.repeat_interleave(nh // kvh, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        s = s.masked_fill(~mask, float("-inf"))
        a = torch.softmax(s, dim=-1)
        # Padded query rows of a short sequence still see their own valid keys, so no row is all -inf.
        y = (a @ v).transpose(1, 2).reshape(b, t, nh * hd)
        x = x + y @ params[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, params[p + "post_attention_layernorm.weight"], cfg["rms_norm_eps"])
        g = h @ params[p + "mlp.gate_proj.weight"].T
        u = h @ params[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ params[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, params["model.norm.weight"], cfg["rms_norm_eps"])
    head = params["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else params["lm_head.weight"]
    return x @ head.T


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "tests", "AlignStream.Engine.Tests", "Golden", "data")
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    params32 = {}
    for name, shape in param_names(CONFIG):
        if len(shape) == 1:
            params32[name] = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        else:
            params32[name] = 0.3 * torch.randn(shape, generator=gen)
    with open(os.path.join(out, "model", "config.json"), "w") as fh:
        json.dump(CONFIG, fh, indent=2)
    write_safetensors(os.path.join(out, "model", "model.safetensors"), params32, {"format": "pt"})

    v = CONFIG["vocab_size"]
    pairs = []
    lengths = [(3, 5, 2), (2, 4, 7)]  # (prompt, chosen, rejected)
    for pl, cl, rl in lengths:
        prompt = [1] + torch.randint(3, v, (pl - 1,), generator=gen).tolist()
        chosen = torch.randint(3, v, (cl - 1,), generator=gen).tolist() + [2]
        rejected = torch.randint(3, v, (rl - 1,), generator=gen).tolist() + [2]
        pairs.append({"prompt": prompt, "chosen": chosen, "rejected": rejected,
                      "ref_chosen": -20.0 + 3 * len(pairs), "ref_rejected": -24.5 + len(pairs)})
    seqs = []
    for pr in pairs:
        seqs.append(pr["prompt"] + pr["chosen"])
        seqs.append(pr["prompt"] + pr["rejected"])
    t = max(len(s) for s in seqs)
    tokens = torch.zeros(len(seqs), t, dtype=torch.long)
    for i, s in enumerate(seqs):
        tokens[i, : len(s)] = torch.tensor(s)
    seq_lengths = torch.tensor([len(s) for s in seqs])

    params = {k: p.double().clone().requires_grad_(True) for k, p in params32.items()}
    logits = forward(params, CONFIG, tokens, seq_lengths)
    logp_all = torch.log_softmax(logits, dim=-1)
    # token_logprobs[b, t] = log p(tokens[b, t] | tokens[b, <t]) for t >= 1, 0 at t = 0 and on padding.
    tok_lp = torch.zeros(len(seqs), t, dtype=torch.float64)
    tok_lp[:, 1:] = logp_all[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]
    valid = torch.arange(t)[None, :] < seq_lengths[:, None]
    tok_lp = tok_lp * valid
    probs = logp_all.exp()
    entropy = -(probs * logp_all).sum(-1) * valid

    loss = 0.0
    sums = []
    for i, pr in enumerate(pairs):
        pl = len(pr["prompt"])
        pc = tok_lp[2 * i, pl: seq_lengths[2 * i]].sum()
        prj = tok_lp[2 * i + 1, pl: seq_lengths[2 * i + 1]].sum()
        h = (pc - pr["ref_chosen"]) - (prj - pr["ref_rejected"])
        li = (1 - LABEL_SMOOTHING) * torch.nn.functional.softplus(-BETA * h) + LABEL_SMOOTHING * torch.nn.functional.softplus(BETA * h)
        loss = loss + li / len(pairs)
        sums.append((pc.item(), prj.item()))
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in params.items()}

    opt_params = {k: p.detach().clone().to(torch.float32).requires_grad_(True) for k, p in params32.items()}
    for k, p in opt_params.items():
        p.grad = grads[k].to(torch.float32)
    opt = torch.optim.AdamW(list(opt_params.values()), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    opt.step()

    expected = {"logits": logits.detach(), "token_logprobs": tok_lp.detach(), "entropies": entropy.detach()}
    for k in params:
        expected["grad." + k] = grads[k]
        expected["after." + k] = opt_params[k].detach()
    write_safetensors(os.path.join(out, "expected.safetensors"), expected)
    with open(os.path.join(out, "inputs.json"), "w") as fh:
        json.dump({"pairs": pairs, "beta": BETA, "label_smoothing": LABEL_SMOOTHING, "lr": LR,
                   "weight_decay": WEIGHT_DECAY, "betas": list(BETAS), "eps": EPS,
                   "tokens": tokens.tolist(), "lengths": seq_lengths.tolist()}, fh, indent=1)
    with open(os.path.join(out, "expected.json"), "w") as fh:
        json.dump({"loss": loss.item(), "policy_sums": sums, "torch": torch.__version__}, fh, indent=1)
    print(f"golden state written to {out}: loss {loss.item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
