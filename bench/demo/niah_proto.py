#!/usr/bin/env python3
"""PyTorch prototype of `./lwm demo`: which model size, data format and step count make a tiny LLaMA learn
LWM's needle-in-a-haystack retrieval over 512..8K characters, with progressive context extension.

Character vocabulary (id = ASCII code; 0 pad, 1 bos, 2 eos), LWM's needle and prompt (spec §6.2), masked
sequence packing (segment ids, global positions), loss only on the answer, greedy teacher-forced scoring
(exact argmax of every answer token = what greedy decoding would emit).

    /usr/bin/python3 bench/demo/niah_proto.py --d 64 --layers 2 --stages 512:300,2048:60,8192:15
"""
import argparse, math, random, time, json
import torch
import torch.nn as nn
import torch.nn.functional as F

CITIES = ["Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Rome", "Delhi", "Seoul", "Dakar", "Quito",
          "Hanoi", "Kyiv", "Minsk", "Riga", "Bern", "Doha", "Accra", "Sofia", "Tunis", "Baku",
          "Lagos", "Dubai", "Milan", "Porto", "Perth", "Osaka", "Boston", "Denver", "Austin", "Dallas",
          "Berlin", "Madrid", "London", "Vienna", "Prague", "Athens", "Lisbon", "Dublin", "Warsaw", "Zurich"]
WORDS = ("the of and to in was he that it his her with as had for she not at but be on they by which "
         "you have one this from all were said so we there their would what been when if more an out "
         "no them into some could time very my up did about then little now other only any such down "
         "man old long house sea river light night day hand eyes door room water ship king road stone "
         "garden window winter summer morning evening letter story voice heart friend father mother "
         "under over again never always before after still while green dark cold quiet slow bright").split()
PREFIX = "You are a helpful assistant. USER: "
SUFFIX = (" Don't give information outside the document or repeat your findings. "
          "Keep your response short and direct. ASSISTANT: ")
PAD, BOS, EOS, VOCAB = 0, 1, 2, 128


def enc(s): return [ord(c) for c in s]


def sentence(rng):
    s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14)))
    return s[0].upper() + s[1:] + ". "


REP = [False]
COPY_ALPHABET = ["abcdefghijklmnopqrstuvwxyz0123456789"]


def haystack(rng, n):
    """Sentences of random words; with REP, drawn from a small per-haystack pool so text repeats (as books
    repeat names and phrases), which gives the LM loss copy signal that grows induction heads."""
    pool = [sentence(rng) for _ in range(rng.randint(3, 10))] if REP[0] else None
    out = []
    total = 0
    while total < n:
        s = rng.choice(pool) if pool else sentence(rng)
        out.append(s); total += len(s)
    return "".join(out)[:n]


def qa_example(rng, length, depth, k):
    """k needles (distinct cities, the first at `depth`, the others at random depths) in one haystack, then all
    k asked in turn, each question answered before the next (loss on every answer): k supervised long-range
    retrievals for the attention cost of one. The first question has exactly the evaluation's form."""
    cities = rng.sample(CITIES, k)
    nums = [str(rng.randint(1000000, 9999999)) for _ in cities]
    needles = ["\nThe special magic %s number is: %s\n" % (c, n) for c, n in zip(cities, nums)]
    order = list(range(k)); rng.shuffle(order)
    tail = []  # (question ids, answer ids)
    for i in order:
        tail.append((enc(" What is the special magic %s number?" % cities[i] + SUFFIX), enc(nums[i]) + [EOS]))
    fixed = 1 + len(PREFIX) + sum(len(x) for x in needles) + sum(len(q) + len(a) for q, a in tail)
    hlen = length - fixed
    if hlen <= 0: return None
    hay = haystack(rng, hlen)
    depths = [depth] + [rng.random() * 100 for _ in needles[1:]]
    for dp, nd in sorted(zip(depths, needles), key=lambda p: -p[0]):
        pos = int(round(len(hay) * dp / 100.0))
        if pos < len(hay):
            dot = hay.rfind(".", 0, pos)
            pos = dot + 1 if dot >= 0 else 0
        hay = hay[:pos] + nd + hay[pos:]
    ids = [BOS] + enc(PREFIX + hay); w = [0.0] * len(ids)
    for q, a in tail:
        ids += q + a; w += [0.0] * len(q) + [1.0] * len(a)
    assert len(ids) == length, (len(ids), length)
    return ids, w


def min_prompt(n_needles):
    return 1 + len(PREFIX) + 1 + len("What is the special magic %s number?" % max(CITIES, key=len)) + len(SUFFIX) \
        + n_needles * len("\nThe special magic %s number is: 1234567\n" % max(CITIES, key=len)) + 20


def drill(rng, total):
    """Dense retrieval drill: k needles among short haystack snippets, then every city asked with its answer
    (loss on each answer): k supervised retrievals per segment instead of one."""
    k = rng.randint(3, 8)
    cities = rng.sample(CITIES, k)
    nums = [str(rng.randint(1000000, 9999999)) for _ in cities]
    ctx = "".join(sentence(rng) + "\nThe special magic %s number is: %s\n" % (c, n) for c, n in zip(cities, nums))
    p = [BOS] + enc(ctx)
    order = list(range(k)); rng.shuffle(order)
    ids, w = list(p), [0.0] * len(p)
    for i in order:
        q = enc("What is the special magic %s number? " % cities[i]); a = enc(nums[i] + "\n")
        ids += q + a; w += [0.0] * len(q) + [1.0] * len(a)
    return ids, w


def copy_task(rng, total):
    """Induction warm-up: a random string of letters and digits, then the same string again (loss on the copy)."""
    n = max(8, (total - 4) // 2)
    s = "".join(rng.choice(COPY_ALPHABET[0]) for _ in range(n))
    return [BOS] + enc(s + " | "), enc(s)


def example(rng, length, depth, fmt, n_needles=1, compact=False):
    """Prompt of exactly `length` ids (BOS included) + answer ids. Returns (ids, loss_mask, number)."""
    PREFIX, SUFFIX = (("", " A: ") if compact else (globals()["PREFIX"], globals()["SUFFIX"]))
    cities = rng.sample(CITIES, n_needles)
    nums = [str(rng.randint(1000000, 9999999)) for _ in cities]
    needles = ["\nThe special magic %s number is: %s\n" % (c, n) for c, n in zip(cities, nums)]
    q = "What is the special magic %s number?" % cities[0]
    ans = nums[0] if fmt == "num" else "The special magic %s number is: %s." % (cities[0], nums[0])
    fixed = 1 + len(PREFIX) + 1 + len(q) + len(SUFFIX) + sum(len(x) for x in needles)
    hlen = length - fixed
    assert hlen > 0, length
    hay = haystack(rng, hlen)
    # insert needles: first at `depth`, others at random depths, each moved back to just after a '.'
    depths = [depth] + [rng.random() * 100 for _ in needles[1:]]
    pieces = list(zip(depths, needles))
    pieces.sort(key=lambda p: -p[0])  # insert deepest first so earlier offsets stay valid
    for dp, nd in pieces:
        pos = int(round(len(hay) * dp / 100.0))
        if pos < len(hay):
            dot = hay.rfind(".", 0, pos)
            pos = dot + 1 if dot >= 0 else 0
        hay = hay[:pos] + nd + hay[pos:]
    prompt = [BOS] + enc(PREFIX + hay + " " + q + SUFFIX)
    if compact: prompt = [BOS] + enc(hay + " " + q + SUFFIX)
    assert len(prompt) == length, (len(prompt), length)
    a = enc(ans) + [EOS]
    return prompt, a, nums[0]


class RMS(nn.Module):
    def __init__(self, d): super().__init__(); self.w = nn.Parameter(torch.ones(d))
    def forward(self, x): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.w


def rope(x, pos, theta):  # x [B,H,T,Dh], rotate-half convention
    dh = x.shape[-1]
    inv = theta ** (-torch.arange(0, dh, 2, device=x.device, dtype=torch.float32) / dh)
    ang = pos[:, None, :, None].float() * inv  # [B,1,T,dh/2]
    cos, sin = torch.cos(ang), torch.sin(ang)
    x1, x2 = x[..., : dh // 2], x[..., dh // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


class Block(nn.Module):
    def __init__(s, d, h, ff):
        super().__init__()
        s.h = h; s.n1 = RMS(d); s.n2 = RMS(d)
        s.q = nn.Linear(d, d, bias=False); s.k = nn.Linear(d, d, bias=False)
        s.v = nn.Linear(d, d, bias=False); s.o = nn.Linear(d, d, bias=False)
        s.g = nn.Linear(d, ff, bias=False); s.u = nn.Linear(d, ff, bias=False); s.dn = nn.Linear(ff, d, bias=False)

    def forward(s, x, pos, seg, theta, qchunk=1024):
        B, T, D = x.shape; H = s.h; dh = D // H
        y = s.n1(x)
        q = rope(s.q(y).view(B, T, H, dh).transpose(1, 2), pos, theta)
        k = rope(s.k(y).view(B, T, H, dh).transpose(1, 2), pos, theta)
        v = s.v(y).view(B, T, H, dh).transpose(1, 2)
        outs = []
        ar = torch.arange(T, device=x.device)
        for c0 in range(0, T, qchunk):  # manual attention in query chunks (no SDPA in torch 1.13)
            c1 = min(T, c0 + qchunk)
            sc = q[:, :, c0:c1] @ k[:, :, :c1].transpose(-1, -2) / math.sqrt(dh)
            m = (ar[None, c0:c1, None] >= ar[None, None, :c1]) & (seg[:, c0:c1, None] == seg[:, None, :c1])
            sc = sc.masked_fill(~m[:, None], float("-inf"))
            outs.append(torch.softmax(sc, -1) @ v[:, :, :c1])
        a = torch.cat(outs, 2).transpose(1, 2).reshape(B, T, D)
        x = x + s.o(a)
        y = s.n2(x)
        return x + s.dn(F.silu(s.g(y)) * s.u(y))


class Llama(nn.Module):
    def __init__(s, d, layers, heads, ff):
        super().__init__()
        s.emb = nn.Embedding(VOCAB, d)
        s.blocks = nn.ModuleList([Block(d, heads, ff) for _ in range(layers)])
        s.nf = RMS(d); s.head = nn.Linear(d, VOCAB, bias=False)
        for p in s.parameters():
            if p.dim() == 2: nn.init.normal_(p, std=0.02)

    def forward(s, ids, pos, seg, theta):
        x = s.emb(ids)
        for b in s.blocks: x = b(x, pos, seg, theta)
        return s.head(s.nf(x))


def packed_row(rng, L, fmt, min_len, multi, maxn=3, lmw=0.0, copyfrac=0.0, drillfrac=0.0, compactfrac=0.0, longfrac=0.0, pose=0, qa=1):
    """Examples of random length in [min_len, L] packed into one row of L ids, masked by segment."""
    ids, tgt, w, seg, ps = [], [], [], [], []
    s = 0
    while True:
        room = L - len(ids)
        n = 1 if rng.random() >= multi else rng.randint(2, maxn)
        alen = 8 if fmt == "num" else 50  # approximate answer length: prompt absorbs the difference
        lo = max(min_len, min_prompt(n) + alen)  # shorter draws used to end the row early, even empty (NaN loss)
        if room < lo: break
        # longfrac: an example takes the whole rest of the row, so full-length prompts are trained, not just
        # the short ones that a uniform draw mostly leaves behind
        total = room if longfrac > 0 and rng.random() < longfrac else rng.randint(lo, room)
        if rng.random() < drillfrac:
            seq, ww = drill(rng, 0)
            if len(seq) > room: break
            ps += list(range(len(ids), len(ids) + len(seq)))
            ids += seq; tgt += seq[1:] + [PAD]; w += ww[1:] + [0.0]; seg += [s] * len(seq); s += 1
            continue
        if qa > 1 and rng.random() >= compactfrac:
            k = rng.randint(1, qa)
            lo_k = min_prompt(k) + k * 160
            if room < lo_k: k = 1
            t = min(max(total, lo_k if k > 1 else 0), room)
            r = qa_example(rng, t, rng.random() * 100, k)
            if r is None: break
            seq, ww = r
            ps += list(range(len(ids), len(ids) + len(seq)))
            ids += seq; tgt += seq[1:] + [PAD]; w += ww[1:] + [0.0]; seg += [s] * len(seq); s += 1
            continue
        if rng.random() < compactfrac:
            p, a, _ = example(rng, rng.randint(100, 200), rng.random() * 100, fmt, 1, compact=True)
            if len(p) + len(a) > room: break
        elif rng.random() < copyfrac:
            p, a = copy_task(rng, rng.randint(40, 200))
        else:
            plen = min(total, room) - alen
            if plen < min_prompt(n): break
            p, a, _ = example(rng, plen, rng.random() * 100, fmt, n)
        seq = p + a
        if len(seq) > room: break
        # pose: positional skip-wise training (PoSE, Zhu et al. 2023): the example's positions jump by a random
        # skip at a random point before the answer, so a short row shows relative distances up to `pose`
        o, n = len(ids), len(seq)
        if pose > n and len(p) > 2:
            cut, skip = rng.randint(1, len(p) - 1), rng.randint(0, pose - n)
            ps += [o + t + (skip if t >= cut else 0) for t in range(n)]
        else:
            ps += list(range(o, o + n))
        ids += seq
        tgt += seq[1:] + [PAD]
        w += [lmw] * (len(p) - 1) + [1.0] * len(a) + [0.0]
        seg += [s] * len(seq); s += 1
    pad = L - len(ids)
    last = ps[-1] + 1 if ps else 0
    ps += list(range(last, last + pad))
    ids += [PAD] * pad; tgt += [PAD] * pad; w += [0.0] * pad; seg += [s] * pad
    return ids, tgt, w, seg, ps


def evaluate(model, lengths, depths, trials, fmt, theta, dev, seed=1234, n_needles=1):
    rng = random.Random(seed)
    model.eval(); grid = {}
    with torch.no_grad():
        for L in lengths:
            for dp in depths:
                ok = 0
                for _ in range(trials):
                    p, a, num = example(rng, L, dp, fmt, n_needles)
                    seq = torch.tensor([p + a[:-1]], device=dev)
                    pos = torch.arange(seq.shape[1], device=dev)[None]
                    seg = torch.zeros_like(seq)
                    lg = model(seq, pos, seg, theta)[0, len(p) - 1:]
                    pred = lg.argmax(-1).tolist()
                    ok += int(pred == a)
                grid[(L, dp)] = ok / trials
    model.train()
    return grid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=64); ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4); ap.add_argument("--ff", type=int, default=0)
    ap.add_argument("--stages", default="512:300,2048:60,8192:15")  # len:steps
    ap.add_argument("--thetas", default="10000,40000,160000")
    ap.add_argument("--tokens", type=int, default=4096, help="tokens per step (rows = tokens/len, min 1)")
    ap.add_argument("--lr", type=float, default=3e-3); ap.add_argument("--fmt", default="num")
    ap.add_argument("--multi", type=float, default=0.0); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval", default="512,1024,2048,4096,8192,16384"); ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--device", default="cpu"); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tag", default="")
    ap.add_argument("--lmw", type=float, default=0.0); ap.add_argument("--maxn", type=int, default=3)
    ap.add_argument("--minlen", type=int, default=300)
    ap.add_argument("--compact", type=float, default=0.0); ap.add_argument("--lrlate", type=float, default=0.5)
    ap.add_argument("--drill", type=float, default=0.0); ap.add_argument("--digitcopy", action="store_true")
    ap.add_argument("--longfrac", type=float, default=0.0)
    ap.add_argument("--pose", type=int, default=0, help="stage 1: positions skip to simulate up to N tokens (PoSE)")
    ap.add_argument("--zeroshot", action="store_true", help="after stage 1: accuracy at longer lengths, no training")
    ap.add_argument("--qa", type=int, default=1, help="up to N needles per example, all asked in turn")
    ap.add_argument("--qastage", type=int, default=1, help="first stage (0-based) with --qa")
    ap.add_argument("--compacthalf", action="store_true", help="compact examples only in the first half of stage 1 (as the Java demo)")
    ap.add_argument("--lrfloor", type=float, default=0.0, help="cosine decays to this fraction of the peak (the Java demo had 0.1)")
    ap.add_argument("--rep", action="store_true"); ap.add_argument("--copyfrac", type=float, default=0.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); torch.manual_seed(a.seed); REP[0] = a.rep
    if a.digitcopy: COPY_ALPHABET[0] = '0123456789'
    dev = torch.device(a.device)
    ff = a.ff or int(a.d * 8 / 3 // 16 * 16) or a.d * 2
    model = Llama(a.d, a.layers, a.heads, ff).to(dev)
    nparam = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.0)
    rng = random.Random(a.seed)
    stages = [tuple(map(int, s.split(":"))) for s in a.stages.split(",")]
    thetas = [float(t) for t in a.thetas.split(",")]
    t0 = time.time(); tokens = 0; log = []
    for si, (L, steps) in enumerate(stages):
        theta = thetas[si]
        rows = max(1, a.tokens // L)
        min_len = a.minlen if si == 0 else stages[si - 1][0] // 2
        for step in range(steps):
            cos = a.lrfloor + (1 - a.lrfloor) * (0.5 + 0.5 * math.cos(math.pi * step / steps))
            lr = a.lr * min(1.0, (step + 1) / 20) * cos if si == 0 else a.lr * a.lrlate * min(1.0, (step + 1) / 10) * cos
            for g in opt.param_groups: g["lr"] = lr
            cfrac = a.compact if si == 0 and (not a.compacthalf or step < steps // 2) else a.compact / 4
            batch = [packed_row(rng, L, a.fmt, min_len, a.multi, a.maxn, a.lmw, a.copyfrac if si == 0 else 0.0, a.drill if si == 0 else a.drill / 2, cfrac, a.longfrac if si > 0 else 0.0, a.pose if si == 0 else 0, a.qa if si >= a.qastage else 1) for _ in range(rows)]
            ids = torch.tensor([b[0] for b in batch], device=dev); tgt = torch.tensor([b[1] for b in batch], device=dev)
            w = torch.tensor([b[2] for b in batch], device=dev); seg = torch.tensor([b[3] for b in batch], device=dev)
            pos = torch.tensor([b[4] for b in batch], device=dev)
            lg = model(ids, pos, seg, theta)
            ce = F.cross_entropy(lg.reshape(-1, VOCAB).float(), tgt.reshape(-1), reduction="none")
            wa = (w == 1.0).float().reshape(-1)
            loss = (ce * w.reshape(-1)).sum() / wa.sum()
            acc = ((lg.reshape(-1, VOCAB).argmax(-1) == tgt.reshape(-1)).float() * wa).sum() / wa.sum()
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); tokens += rows * L
            if step % 50 == 0 or step == steps - 1:
                print("stage %d len %d theta %g step %d loss %.4f ansacc %.3f tokens %d  %.1fs" %
                      (si, L, theta, step, loss.item(), acc.item(), tokens, time.time() - t0), flush=True)
                log.append((si, step, loss.item()))
        if a.zeroshot and si == 0:
            for th in sorted(set(thetas[:2])):
                for LL in (512, 2048, 8192):
                    gz = evaluate(model, [LL], [0, 50, 100], 8, a.fmt, th, dev, seed=77)
                    print("ZS theta %g len %d: %.3f" % (th, LL, sum(gz.values()) / len(gz)), flush=True)
        g = evaluate(model, [L], [0, 50, 100], 8, a.fmt, theta, dev, seed=99 + si)
        print("EVAL after stage %d at %d: %.3f" % (si, L, sum(g.values()) / len(g)), flush=True)
    train_s = time.time() - t0
    lengths = [int(x) for x in a.eval.split(",")]
    depths = [0, 25, 50, 75, 100]
    grid = evaluate(model, lengths, depths, a.trials, a.fmt, thetas[len(stages) - 1], dev)
    print("params %d  train %.1fs  tokens %d" % (nparam, train_s, tokens))
    for L in lengths:
        print("%6d " % L + " ".join("%.2f" % grid[(L, d)] for d in depths))
    trained = [L for L in lengths if L <= stages[-1][0]]
    acc = sum(grid[(L, d)] for L in trained for d in depths) / (len(trained) * len(depths))
    print("RESULT %s acc_trained %.3f train_s %.1f tokens %d" % (a.tag, acc, train_s, tokens), flush=True)
    if a.multi > 0:
        g2 = evaluate(model, [2048], depths, a.trials, a.fmt, thetas[len(stages) - 1], dev, n_needles=2)
        print("multi2@2048", [g2[(2048, d)] for d in depths])


if __name__ == "__main__":
    main()
