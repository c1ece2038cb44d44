"""Reference values for org.calico.train (AdamW steps, grad clipping, focal, Dice, BCE, CE) computed with PyTorch.
Run: /work/venv/bin/python scripts/make_train_fixtures.py src/test/resources/train/train_ref.safetensors"""
import sys

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
out = {}
# --- AdamW, 3 steps with given gradients, PyTorch defaults except betas/lr/wd
p0 = torch.randn(5, 3)
g = [torch.randn(5, 3) for _ in range(3)]
p = p0.clone().requires_grad_(True)
opt = torch.optim.AdamW([p], lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)
out["adamw.p0"] = p0
for i in range(3):
    out[f"adamw.g{i}"] = g[i]
    p.grad = g[i].clone()
    opt.step()
    out[f"adamw.p{i + 1}"] = p.detach().clone()
st = opt.state[p]
out["adamw.exp_avg"] = st["exp_avg"].clone()
out["adamw.exp_avg_sq"] = st["exp_avg_sq"].clone()
# --- grad clipping over two tensors
a, b = torch.randn(4, 4, requires_grad=True), torch.randn(7, requires_grad=True)
ga, gb = torch.randn(4, 4) * 3, torch.randn(7) * 3
a.grad, b.grad = ga.clone(), gb.clone()
out["clip.ga"], out["clip.gb"] = ga, gb
total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
out["clip.total"] = total.reshape(1)
out["clip.ga_after"], out["clip.gb_after"] = a.grad.clone(), b.grad.clone()
# --- mask losses on 3 masks of 9x11: logits and targets
logits = torch.randn(3, 9, 11) * 3
targets = (torch.rand(3, 9, 11) > 0.6).float()
out["mask.logits"], out["mask.targets"] = logits, targets
# torchvision.ops.sigmoid_focal_loss(alpha=0.25, gamma=2, reduction='none'), mean per mask, sum / num_masks
prob = logits.sigmoid()
ce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
p_t = prob * targets + (1 - prob) * (1 - targets)
loss = ce * ((1 - p_t) ** 2)
alpha_t = 0.25 * targets + 0.75 * (1 - targets)
focal = (alpha_t * loss).flatten(1).mean(1).sum() / (3 + 1e-8)
out["mask.focal"] = focal.reshape(1)
# GLaMM calculate_dice_loss(scale=1000, eps=1e-6), summed / num_masks
pr = logits.sigmoid().flatten(1)
tg = targets.flatten(1)
num = 2 * (pr / 1000 * tg).sum(-1)
den = (pr / 1000).sum(-1) + (tg / 1000).sum(-1)
dice = (1 - (num + 1e-6) / (den + 1e-6)).sum() / (3 + 1e-8)
out["mask.dice"] = dice.reshape(1)
# GLaMM compute_sigmoid_cross_entropy: mean over pixels per mask, summed / num_masks
bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").flatten(1).mean(1).sum() / (3 + 1e-8)
out["mask.bce"] = bce.reshape(1)
# --- token CE with ignore index -100
lg = torch.randn(2, 6, 13)
labels = torch.tensor([[-100, -100, 3, 4, 12, -100], [-100, 1, 2, -100, 0, 5]])
out["ce.logits"], out["ce.labels"] = lg, labels
# HF causal LM shift: logits[:, :-1] predict labels[:, 1:]
ce_loss = torch.nn.functional.cross_entropy(lg[:, :-1].reshape(-1, 13), labels[:, 1:].reshape(-1), ignore_index=-100)
out["ce.loss"] = ce_loss.reshape(1)
save_file({k: v.contiguous() for k, v in out.items()}, sys.argv[1])
print("wrote", sys.argv[1], len(out), "tensors")
