"""torch.optim.AdamW with clip_grad_norm_ on given parameters and gradient sequences (float64).
Input JSON: {params: {name: {data, decay}}, grads: [[...per param...] per step], lrs: [...],
betas, eps, weight_decay, clip}. Output: {name: final values}."""
import json
import sys

import torch

c = json.load(open(sys.argv[1]))
names = list(c["params"])
P = {n: torch.tensor(c["params"][n]["data"], dtype=torch.float64, requires_grad=True) for n in names}
groups = [{"params": [P[n] for n in names if c["params"][n]["decay"]], "weight_decay": c["weight_decay"]},
          {"params": [P[n] for n in names if not c["params"][n]["decay"]], "weight_decay": 0.0}]
opt = torch.optim.AdamW(groups, lr=1.0, betas=tuple(c["betas"]), eps=c["eps"])
for step, lr in enumerate(c["lrs"]):
    for i, n in enumerate(names):
        P[n].grad = torch.tensor(c["grads"][step][i], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_([P[n] for n in names], c["clip"])
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()
json.dump({n: P[n].detach().tolist() for n in names}, open(sys.argv[2], "w"))
