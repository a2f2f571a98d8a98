#!/usr/bin/env python3
"""PyTorch side of `align bench engine`: the same workloads as the managed engine, same shapes.

    /usr/bin/python3 bench/torch_engine_bench.py --hidden 256 --layers 4 --heads 4 --ffn 688 [--threads 1,2]

Prints one JSON object: {"dpo_tokens_per_s", "sample_b16_tokens_per_s", "sample_b1_tokens_per_s",
"forward_tokens_per_s", "threads": {...best thread count per workload...}, "cpu_1thread": {tokens per
CPU-second of the single-threaded runs}}. Each workload runs once to
warm up, then `--repeats` times; the best time counts, for every thread setting tried, and the best
setting wins. Progress goes to stderr.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class Llama(torch.nn.Module):
    """Plain Llama decoder (separate q/k/v/o, SwiGLU, RMSNorm, rotate_half RoPE), float32."""

    def __init__(self, vocab, d, layers, heads, kv_heads, ffn, ctx, theta=10000.0, eps=1e-6):
        super().__init__()
        self.d, self.h, self.kvh, self.hd, self.eps = d, heads, kv_heads, d // heads, eps
        self.embed = torch.nn.Embedding(vocab, d)
        self.layers = torch.nn.ModuleList()
        for _ in range(layers):
            m = torch.nn.Module()
            m.ln1 = torch.nn.Parameter(torch.ones(d))
            m.q = torch.nn.Linear(d, heads * self.hd, bias=False)
            m.k = torch.nn.Linear(d, kv_heads * self.hd, bias=False)
            m.v = torch.nn.Linear(d, kv_heads * self.hd, bias=False)
            m.o = torch.nn.Linear(heads * self.hd, d, bias=False)
            m.ln2 = torch.nn.Parameter(torch.ones(d))
            m.gate = torch.nn.Linear(d, ffn, bias=False)
            m.up = torch.nn.Linear(d, ffn, bias=False)
            m.down = torch.nn.Linear(ffn, d, bias=False)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.head = torch.nn.Linear(d, vocab, bias=False)
        inv = 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd))
        f = torch.outer(torch.arange(ctx).float(), inv)
        emb = torch.cat((f, f), -1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    @staticmethod
    def rot(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), -1)

    def forward(self, tokens, cache=None, past=0):
        b, t = tokens.shape
        x = self.embed(tokens)
        cos = self.cos[past: past + t]
        sin = self.sin[past: past + t]
        rep = self.h // self.kvh
        for i, m in enumerate(self.layers):
            h = self.rms(x, m.ln1)
            q = m.q(h).view(b, t, self.h, self.hd).transpose(1, 2)
            k = m.k(h).view(b, t, self.kvh, self.hd).transpose(1, 2)
            v = m.v(h).view(b, t, self.kvh, self.hd).transpose(1, 2)
            q = q * cos + self.rot(q) * sin
            k = k * cos + self.rot(k) * sin
            if cache is not None:
                kc, vc = cache[i]
                kc[:, :, past: past + t] = k
                vc[:, :, past: past + t] = v
                k, v = kc[:, :, : past + t], vc[:, :, : past + t]
            if rep > 1:
                k = k.repeat_interleave(rep, 1)
                v = v.repeat_interleave(rep, 1)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
            if t > 1:
                mask = torch.ones(t, past + t, dtype=torch.bool).tril(past)
                s = s.masked_fill(~mask, float("-inf"))
            y = torch.softmax(s, -1) @ v
            x = x + m.o(y.transpose(1, 2).reshape(b, t, self.h * self.hd))
            h = self.rms(x, m.ln2)
            x = x + m.down(F.silu(m.gate(h)) * m.up(h))
        return self.head(self.rms(x, self.norm))


def best_time(fn, repeats):
    """Best wall time and best process CPU time over the repeats, after one warm-up run."""
    fn()
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--heads", type=int, required=True)
    ap.add_argument("--kv-heads", type=int, default=0)
    ap.add_argument("--ffn", type=int, required=True)
    ap.add_argument("--vocab", type=int, default=260)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.manual_seed(0)
    kvh = a.kv_heads or a.heads
    model = Llama(a.vocab, a.hidden, a.layers, a.heads, kvh, a.ffn, a.ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    g = torch.Generator().manual_seed(1)

    # (a) DPO step: 8 pairs x 128 tokens (32 prompt + 96 response), reference sums supplied.
    pairs, seq, prompt = 8, 128, 32
    dpo_tokens = torch.randint(0, 256, (2 * pairs, seq), generator=g)
    ref = torch.randn(2 * pairs, generator=g) * 5 - 150

    def dpo_step():
        opt.zero_grad(set_to_none=True)
        logits = model(dpo_tokens)
        lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, dpo_tokens[:, 1:, None])[..., 0]
        sums = lp[:, prompt - 1:].sum(-1)
        h = (sums[0::2] - ref[0::2]) - (sums[1::2] - ref[1::2])
        loss = F.softplus(-0.1 * h).mean()
        loss.backward()
        opt.step()

    # (b) sampling with a KV cache: 16 (or 1) prompts of 32 tokens, 96 new tokens, temperature 1.
    def sample(batch):
        prompts = torch.randint(0, 256, (batch, 32), generator=g)
        new = 96

        def run():
            with torch.no_grad():
                cache = [(torch.empty(batch, kvh, 32 + new, a.hidden // a.heads), torch.empty(batch, kvh, 32 + new, a.hidden // a.heads))
                         for _ in range(a.layers)]
                logits = model(prompts, cache, 0)[:, -1]
                past = 32
                for _ in range(new):
                    logp = torch.log_softmax(logits, -1)
                    tok = torch.multinomial(logp.exp(), 1, generator=g)
                    logp.gather(-1, tok)
                    logits = model(tok, cache, past)[:, -1]
                    past += 1
        return run

    # (c) forward of 16 x 256 tokens with next-token log-probs, no gradient.
    fwd_tokens = torch.randint(0, 256, (16, 256), generator=g)

    def forward():
        with torch.no_grad():
            logits = model(fwd_tokens)
            torch.log_softmax(logits[:, :-1], -1).gather(-1, fwd_tokens[:, 1:, None])

    work = {
        "dpo_tokens_per_s": (dpo_step, 2 * pairs * seq),
        "sample_b16_tokens_per_s": (sample(16), 16 * 96),
        "sample_b1_tokens_per_s": (sample(1), 96),
        "forward_tokens_per_s": (forward, 16 * 256),
    }
    out, used, cpu1 = {}, {}, {}
    for key, (fn, tokens) in work.items():
        best = 0.0
        for th in [int(x) for x in a.threads.split(",")]:
            torch.set_num_threads(th)
            wall, cpu = best_time(fn, a.repeats)
            rate = tokens / wall
            if th == 1:
                cpu1[key] = tokens / cpu
            print(f"torch {key} threads={th}: {rate:.0f}", file=sys.stderr)
            if rate > best:
                best, used[key] = rate, th
        out[key] = best
    out["threads"] = used
    out["cpu_1thread"] = cpu1
    out["torch_version"] = torch.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
