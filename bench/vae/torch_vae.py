#!/usr/bin/python3
"""Peer for bench/vae: a variational autoencoder in PyTorch on CPU (peers.md §5, `vae`).

Model: z ~ N(0, I_L); x_j | z ~ Bernoulli(sigmoid(f(z))_j); q(z | x) = N(mu(x), diag exp(logvar(x))).
  mnist   encoder Linear(784,400)-ReLU-Linear(400,2*20) split into (mu, logvar); decoder
          Linear(20,400)-ReLU-Linear(400,784) (logits); 10 epochs.
  digits  the same shapes with P=64, hidden 128, latent 8; 50 epochs.
Loss: mean over the minibatch of -ELBO_n,
  ELBO_n = sum_j [x_nj log s_nj + (1 - x_nj) log(1 - s_nj)] - 0.5 sum_l (mu^2 + exp(logvar) - 1 - logvar),
one reparameterised sample per image per step, analytic KL. PyTorch's default layer
initialisation after torch.manual_seed(0); Adam(lr=1e-3, default betas); batch 128 with the
last short batch kept; rows shuffled each epoch by torch.randperm (generator seeded 0);
torch.set_num_threads(2) (--threads).

Data: mnist-10k.json holds 0/1 pixels. digits.json holds k/16 grey levels: peers.md's protocol
uses them as Bernoulli cross-entropy targets as they are (--digits-targets grey), but Plato's
Bernoulli takes only 0/1 data, so the side-by-side run (bench/vae/run.ts) binarises them
(x >= 0.5, --digits-targets binary, the default) for both systems.

Timed: the training epochs; per_epoch_s = median seconds per epoch (all epochs in epoch_s).
Quality: the training ELBO per image in nats (higher is better), evaluated after training over
all training images with one sample each (generator seeded 123); the last epoch's running mean
is last_epoch_running_elbo.

Serve:    python3 torch_vae.py --serve        prints {"ready": true, ...}, then answers each
          stdin line {"data": "mnist"|"digits", "epochs": E, "limit": N} with one JSON line.
One-shot: python3 torch_vae.py --data mnist [--epochs 10] [--limit N]
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def shared_data():
    """The project's shared data folder: ../shared/data beside the repository (or a worktree's)."""
    d = HERE
    for _ in range(5):
        d = os.path.dirname(d)
        if os.path.isdir(os.path.join(d, "shared", "data")):
            return os.path.join(d, "shared", "data")
    return os.path.join(HERE, "..", "..", "..", "shared", "data")


SETTINGS = {
    "mnist": {"file": os.path.join("mnist", "mnist-10k.json"), "hidden": 400, "latent": 20, "epochs": 10},
    "digits": {"file": os.path.join("digits", "digits.json"), "hidden": 128, "latent": 8, "epochs": 50},
}
DATA_DIR = shared_data()
BATCH = 128
LR = 1e-3


class VAE(nn.Module):
    def __init__(self, P, H, L):
        super().__init__()
        self.L = L
        self.enc = nn.Sequential(nn.Linear(P, H), nn.ReLU(), nn.Linear(H, 2 * L))
        self.dec = nn.Sequential(nn.Linear(L, H), nn.ReLU(), nn.Linear(H, P))

    def elbo(self, x, generator=None):
        """ELBO_n per image (one reparameterised sample)."""
        h = self.enc(x)
        mu, logvar = h[:, : self.L], h[:, self.L :]
        eps = torch.randn(mu.shape, generator=generator)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = self.dec(z)
        # log-likelihood of Bernoulli(logits): -BCE with logits, stable for any logit
        ll = -nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return ll - kl


def load(name, targets, limit):
    s = SETTINGS[name]
    with open(os.path.join(DATA_DIR, s["file"])) as f:
        d = json.load(f)
    x = torch.tensor(d["x"], dtype=torch.float32)
    if name == "digits" and targets == "binary":
        x = (x >= 0.5).to(torch.float32)
    if limit:
        x = x[:limit]
    return x


def train(name, epochs, limit, targets):
    s = SETTINGS[name]
    x = load(name, targets, limit)
    N, P = x.shape
    torch.manual_seed(0)
    model = VAE(P, s["hidden"], s["latent"])
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    shuffle = torch.Generator().manual_seed(0)
    epoch_s, running = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(N, generator=shuffle)
        total = 0.0
        for i in range(0, N, BATCH):
            xb = x[perm[i : i + BATCH]]
            elbo = model.elbo(xb)
            loss = -elbo.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(elbo.sum())
        epoch_s.append(time.perf_counter() - t0)
        running.append(total / N)
    with torch.no_grad():
        final = float(model.elbo(x, torch.Generator().manual_seed(123)).mean())
    ordered = sorted(epoch_s)
    return {
        "data": name,
        "targets": targets if name == "digits" else "binary",
        "N": N,
        "P": P,
        "hidden": s["hidden"],
        "latent": s["latent"],
        "batch": BATCH,
        "lr": LR,
        "epochs": epochs,
        "steps_per_epoch": (N + BATCH - 1) // BATCH,
        "per_epoch_s": ordered[len(ordered) // 2],
        "mean_epoch_s": sum(epoch_s) / len(epoch_s),
        "wall_s": sum(epoch_s),
        "epoch_s": epoch_s,
        "train_elbo_per_image": final,
        "last_epoch_running_elbo": running[-1],
        "running_elbo": running,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--serve", action="store_true")
    p.add_argument("--data", choices=sorted(SETTINGS), default="mnist")
    p.add_argument("--epochs", type=int)
    p.add_argument("--limit", type=int, default=0, help="the first N images only (0: all)")
    p.add_argument("--digits-targets", choices=["binary", "grey"], default="binary")
    p.add_argument("--data-dir", help="the shared data folder (default: ../shared/data found upwards)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads (peers.md: 2; on a busy machine 1 avoids OpenMP spin-waits)")
    args = p.parse_args()
    global DATA_DIR
    if args.data_dir:
        DATA_DIR = args.data_dir
    torch.set_num_threads(args.threads)
    meta = {"system": "torch", "version": torch.__version__, "python": sys.version.split()[0],
            "threads": torch.get_num_threads()}
    if args.serve:
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            if line.strip():
                req = json.loads(line)
                name = req.get("data", "mnist")
                out = train(name, int(req.get("epochs", SETTINGS[name]["epochs"])),
                            int(req.get("limit", 0)), req.get("targets", args.digits_targets))
                print(json.dumps({**out, **meta}), flush=True)
        return
    epochs = args.epochs or SETTINGS[args.data]["epochs"]
    print(json.dumps({**train(args.data, epochs, args.limit, args.digits_targets), **meta}))


if __name__ == "__main__":
    main()
