"""Writes torch_golden.json: reference values and autograd gradients for the Alignment tests.

Run with a Python that has torch (e.g. /usr/bin/python3 make_golden.py). Everything is float64 and
seeded, so the file is reproducible; the C# tests compare against it.
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(1234)
g = {}

# Token-weighted DPO with label smoothing.
beta, eps = 0.2, 0.1
pw = (-torch.rand(7, dtype=torch.float64) * 3).requires_grad_()
rw = -torch.rand(7, dtype=torch.float64) * 3
ww = torch.rand(7, dtype=torch.float64) * 2
pl = (-torch.rand(5, dtype=torch.float64) * 3).requires_grad_()
rl = -torch.rand(5, dtype=torch.float64) * 3
wl = torch.rand(5, dtype=torch.float64) * 2
h = (ww * (pw - rw)).sum() - (wl * (pl - rl)).sum()
loss = (1 - eps) * -F.logsigmoid(beta * h) + eps * -F.logsigmoid(-beta * h)
loss.backward()
g["weighted_dpo"] = dict(beta=beta, eps=eps, pw=pw.tolist(), rw=rw.tolist(), ww=ww.tolist(), pl=pl.tolist(),
                         rl=rl.tolist(), wl=wl.tolist(), loss=loss.item(), h=h.item(),
                         grad_pw=pw.grad.tolist(), grad_pl=pl.grad.tolist())

# SPO degree head: lambda * mean CE over variants, gradients for W, b and each hidden state.
k, d, lam = 3, 6, 0.25
W = (torch.randn(k, d, dtype=torch.float64) * 0.5).float().double().requires_grad_()
b = (torch.randn(k, dtype=torch.float64) * 0.1).float().double().requires_grad_()
H = torch.randn(4, d, dtype=torch.float64).float().double().requires_grad_()
labels = torch.tensor([0, 1, 2, 1])
logits = H @ W.T + b
ce = F.cross_entropy(logits, labels)  # mean over variants
(lam * ce).backward()
g["spo_head"] = dict(k=k, d=d, lam=lam, W=W.detach().flatten().tolist(), b=b.detach().tolist(),
                     H=H.detach().tolist(), labels=labels.tolist(), ce=ce.item(),
                     grad_W=W.grad.flatten().tolist(), grad_b=b.grad.tolist(), grad_H=H.grad.tolist())

# RAD/ARM decoding distribution on a random case: V=10, k=4, beta=3, clamp to [0,1].
V, topk, rbeta = 10, 4, 3.0
z = torch.randn(V, dtype=torch.float64).float().double()
r = (torch.rand(V, dtype=torch.float64) * 1.6 - 0.3).float().double()
idx = torch.topk(z, topk).indices
zp = torch.full((V,), float("-inf"), dtype=torch.float64)
zp[idx] = z[idx] + rbeta * r[idx].clamp(0, 1)
g["rad"] = dict(k=topk, beta=rbeta, logits=z.tolist(), rewards=r.tolist(), probs=torch.softmax(zp, 0).tolist())

with open("torch_golden.json", "w") as f:
    json.dump(g, f, indent=1)
print("torch", torch.__version__, "wrote torch_golden.json")
