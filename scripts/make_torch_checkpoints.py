"""Generates the small torch zip checkpoints used by TorchCheckpointTest (run with the project venv:
/work/venv/bin/python scripts/make_torch_checkpoints.py src/test/resources/io)."""
import collections
import sys

import torch

out = sys.argv[1]
torch.manual_seed(0)
sd = {
    "encoder.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4) / 10,
    "encoder.bias": torch.tensor([0.5, -1.0, 2.0], dtype=torch.float32),
    "table": torch.arange(6, dtype=torch.int64).reshape(2, 3),
    "half": torch.tensor([1.5, -2.25], dtype=torch.bfloat16),
}
torch.save(dict(sd), f"{out}/plain_dict.pt")
torch.save(collections.OrderedDict(sd), f"{out}/ordered_dict.pt")
torch.save({"state_dict": dict(sd), "epoch": 3}, f"{out}/nested_state_dict.pt")
print("wrote", out)
