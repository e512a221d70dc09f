#!/usr/bin/python3
"""LieQ perplexity experiment (docs/RESULTS.md): FP vs uniform 2/3/4-bit RTN/GPTQ/AWQ, LieQ with
one protected block (2 + 2/L bits), and the m-protected-blocks sweep for four block rankings
(proxy, ΔPPL oracle, random, first/last). Stdlib only; drives the `lieq` binary.

  scripts/experiment_ppl.py models/lieq-ref-qwen3 runs/exp-qwen3
  scripts/experiment_ppl.py models/lieq-ref-qwen3 runs/exp18-qwen3 --budgets   # issue 18

--budgets runs the bit-allocation experiment of issue 18 instead: one `lieq diagnose` (proxy,
ΔPPL on held-out C4, measured KL per block and width with --sensitivity-method), then at each
budget in --budget-list (default 2 + 2/L, 2.25, 2.5, 3) the plans of every signal and rule —
proxy, ΔPPL oracle (paper rule, {2,4}), measured KL + optimal allocator ({2,3,4,8}), first-last,
random (--random-seeds) — plus uniform 2/3/4 bits, all quantized with --budget-method (GPTQ);
perplexity ± standard error on WikiText-2, held-out C4 and --own-text (the model's own
held-out text, e.g. from training/heldout_text.py); the time each plan took (its signal's
measurement plus `lieq plan`). Writes OUT/budgets.json (resumable), OUT/budgets.md,
OUT/budgets.svg, and with --write-results FILE replaces the block between
"<!-- issue18-budgets:begin -->" and "<!-- issue18-budgets:end -->" in FILE (appends it when
absent).

Writes OUT/results.json (resumable: finished runs are not repeated), OUT/results.md (tables) and
OUT/sweep.svg (perplexity vs m per ranking). Evaluation texts are the first --eval-chars
characters of WikiText-2 test and PTB test, and held-out C4: documents 501..1000 of the C4 file
(calibration only reads documents 1..500, --calib-docs 500). Perplexity: GPTQ protocol, windows
of --ctx tokens, first --chunks windows.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--lieq", default="build/src/cli/lieq")
    p.add_argument("--shared", default="../shared")
    p.add_argument("--ctx", type=int, default=512)
    p.add_argument("--chunks", type=int, default=16)
    p.add_argument("--eval-chars", type=int, default=120000)
    p.add_argument("--calib-samples", type=int, default=32)
    p.add_argument("--calib-seq", type=int, default=512)
    p.add_argument("--methods", default="rtn,gptq,awq")
    p.add_argument("--sweep-method", default="rtn", help="back-end of the m sweep")
    p.add_argument("--sweep-m", default="0,1,2,4,8,16", help="protected block counts (capped at L)")
    p.add_argument("--sweep-sets", default="wikitext2,c4", help="eval sets of the sweep")
    p.add_argument("--lieq-methods", default="rtn,gptq", help="back-ends of the one-protected-block rows")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--group-size", type=int, default=128,
                   help="quantization group (must divide every layer's input: 32 for lieq-ref-llama)")
    p.add_argument("--budgets", action="store_true", help="run the issue-18 bit-allocation experiment")
    p.add_argument("--budget-list", default="", help="budgets in bits (default 2+2/L,2.25,2.5,3)")
    p.add_argument("--budget-method", default="gptq", help="back-end of --budgets (and of its KL)")
    p.add_argument("--random-seeds", default="0,1,2")
    p.add_argument("--own-text", default="", help="the model's own held-out text (optional)")
    p.add_argument("--diag-samples", type=int, default=16, help="--budgets: diagnose --samples")
    p.add_argument("--diag-seq", type=int, default=512, help="--budgets: diagnose --seq")
    p.add_argument("--twin-seeds", type=int, default=3)
    p.add_argument("--write-results", default="", help="--budgets: Markdown file to update (docs/RESULTS.md)")
    p.add_argument("--exhaustive", action="store_true",
                   help="--budgets: also quantize every {2,3,4} plan at 2 + 2/L bits (L + L(L-1)/2 plans), "
                        "the ceiling any signal can reach there")
    return p.parse_args()


def run(cmd):
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout, time.time() - t


class Experiment:
    def __init__(self, a):
        self.a = a
        os.makedirs(os.path.join(a.out, "data"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "models"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "plans"), exist_ok=True)
        self.results_path = os.path.join(a.out, "results.json")
        self.results = json.load(open(self.results_path)) if os.path.exists(self.results_path) else {}
        self.config = json.load(open(os.path.join(a.model, "config.json")))
        self.L = self.config["num_hidden_layers"]
        self.sets = self.prepare_texts()

    def save(self):
        tmp = self.results_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
        os.replace(tmp, self.results_path)

    def prepare_texts(self):
        a, d = self.a, os.path.join(self.a.out, "data")
        sets = {}
        for name, src in (("wikitext2", "data/eval/wikitext2-test.raw"), ("ptb", "data/eval/ptb-test.txt")):
            path = os.path.join(d, name + ".txt")
            with open(os.path.join(a.shared, src), encoding="utf-8") as f:
                text = f.read(a.eval_chars)
            open(path, "w", encoding="utf-8").write(text)
            sets[name] = path
        docs = [json.loads(l)["text"] for l in open(os.path.join(a.shared, "data/calib/c4-train-00000-head1000.jsonl"), encoding="utf-8")]
        path = os.path.join(d, "c4-heldout.txt")
        open(path, "w", encoding="utf-8").write("\n\n".join(docs[500:])[: a.eval_chars])
        sets["c4"] = path
        return sets

    def ppl(self, key, model, sets, extra=()):
        entry = self.results.setdefault(key, {})
        for s in sets:
            if s in entry.get("ppl", {}):
                continue
            out, secs = run([self.a.lieq, "ppl", model, "--text", self.sets[s], "--ctx", str(self.a.ctx),
                             "--chunks", str(self.a.chunks), "--threads", str(self.a.threads), "--json", *extra])
            entry.setdefault("ppl", {})[s] = json.loads(out)["ppl"]
            print("  %-28s %-9s ppl %10.3f  (%.0f s)" % (key, s, entry["ppl"][s], secs), flush=True)
            self.save()
        return entry["ppl"]

    def quantize(self, key, method, bits_args):
        entry = self.results.setdefault(key, {})
        path = os.path.join(self.a.out, "models", key)
        if "quantize" not in entry or not os.path.isdir(path):
            cmd = [self.a.lieq, "quantize", self.a.model, *bits_args, "--method", method, "-o", path, "--force",
                   "--group-size", str(self.a.group_size), "--threads", str(self.a.threads), "--json"]
            if method != "rtn":
                cmd += ["--calib", os.path.join(self.a.shared, "data/calib/c4-train-00000-head1000.jsonl"),
                        "--calib-samples", str(self.a.calib_samples), "--calib-seq", str(self.a.calib_seq),
                        "--seed", str(self.a.seed)]
            out, secs = run(cmd)
            q = json.loads(out)
            entry["quantize"] = {"method": method, "bits": q["bits"], "seconds": q["quantize_seconds"]}
            print("  %-28s quantized in %.1f s" % (key, q["quantize_seconds"]), flush=True)
            self.save()
        return path

    def write_plan(self, name, bits, rank_by, rank):
        path = os.path.join(self.a.out, "plans", name + ".json")
        avg = sum(bits) / len(bits)
        plan = {"format": "lieq-bitplan", "version": 1, "model": self.a.model, "num_blocks": self.L,
                "bits": bits, "candidates": [2, 4], "group_size": self.a.group_size, "budget": avg, "rank_by": rank_by,
                "rank": rank, "seed": self.a.seed, "avg_bits_linear": avg, "avg_bits_file": 0,
                "diagnostics": ""}
        json.dump(plan, open(path, "w"), indent=1)
        return path

    # Rankings: block indices, most deserving of bits first.
    def oracle_rank(self):
        fp = self.ppl("fp", self.a.model, ["c4"])["c4"]
        delta = []
        for l in range(self.L):
            p = self.ppl("skip-%d" % l, self.a.model, ["c4"], ["--skip-block", str(l)])["c4"]
            delta.append(p - fp)
        self.results["oracle_delta_ppl_c4"] = delta
        return sorted(range(self.L), key=lambda l: -delta[l])

    def proxy_rank(self):
        if "proxy_rank" in self.results:
            return self.results["proxy_rank"]
        calib = os.path.join(self.a.shared, "data/calib/c4-train-00000-head1000.jsonl")
        try:
            out, secs = run([self.a.lieq, "plan", self.a.model, "--budget", "2.125", "--rank-by", "proxy",
                             "--calib", calib, "--seed", str(self.a.seed), "--group-size", str(self.a.group_size),
                             "--threads", str(self.a.threads), "--json"])
        except RuntimeError as e:
            print("  proxy ranking unavailable: %s" % str(e).splitlines()[0], flush=True)
            return None
        rank = json.loads(out)["rank"]
        self.results["proxy_rank"] = rank
        self.save()
        print("  proxy rank %s (%.0f s)" % (rank, secs), flush=True)
        return rank

    def main(self):
        a, L = self.a, self.L
        all_sets = ["wikitext2", "ptb", "c4"]
        t0 = time.time()
        print("FP", flush=True)
        self.ppl("fp", a.model, all_sets)
        print("uniform", flush=True)
        for method in a.methods.split(","):
            for b in (2, 3, 4):
                key = "uniform%d-%s" % (b, method)
                self.ppl(key, self.quantize(key, method, ["--uniform", str(b)]), all_sets)
        print("rankings", flush=True)
        ranks = {"oracle": self.oracle_rank(), "first-last": [x for i in range((L + 1) // 2) for x in ((i, L - 1 - i) if i != L - 1 - i else (i,))]}
        rng = random.Random(a.seed)
        ranks["random"] = rng.sample(range(L), L)
        proxy = self.proxy_rank()
        if proxy is not None:
            ranks["proxy"] = proxy
        self.results["ranks"] = ranks
        self.save()
        print("one protected block (2 + 2/L bits)", flush=True)
        for name, rank in ranks.items():
            bits = [2] * L
            bits[rank[0]] = 4
            plan = self.write_plan("m1-" + name, bits, name, rank)
            for method in a.lieq_methods.split(","):
                key = "m1-%s-%s" % (name, method)
                self.ppl(key, self.quantize(key, method, ["--plan", plan]), all_sets)
        print("sweep", flush=True)
        sweep_sets = a.sweep_sets.split(",")
        for m in sorted({min(int(x), L) for x in a.sweep_m.split(",")}):
            for name, rank in ranks.items():
                bits = [2] * L
                for l in rank[:m]:
                    bits[l] = 4
                if m == 0:
                    key = "uniform2-%s" % a.sweep_method
                elif m == L:
                    key = "uniform4-%s" % a.sweep_method
                else:
                    key = "m%d-%s-%s" % (m, name, a.sweep_method)
                    self.quantize(key, a.sweep_method, ["--plan", self.write_plan("m%d-%s" % (m, name), bits, name, rank)])
                path = os.path.join(a.out, "models", key)
                if not os.path.isdir(path):
                    path = self.quantize(key, a.sweep_method, ["--uniform", str(4 if m == L else 2)])
                self.ppl(key, path, sweep_sets)
                self.results.setdefault("sweep", {}).setdefault(name, {})[str(m)] = key
        self.results["settings"] = vars(a)
        self.results["elapsed_seconds"] = self.results.get("elapsed_seconds", 0) + time.time() - t0
        self.save()
        self.report(ranks, all_sets, sweep_sets)

    def report(self, ranks, all_sets, sweep_sets):
        a, L, R = self.a, self.L, self.results
        g = lambda key, s: R.get(key, {}).get("ppl", {}).get(s)
        fmt = lambda v: "%.2f" % v if v is not None else "–"
        lines = ["## %s" % a.model, "",
                 "Perplexity (GPTQ protocol, ctx %d, first %d windows; calibration %d x %d tokens of C4 docs 1-500; "
                 "held-out C4 = docs 501-1000). Group 128, FP16 scales/zeros." % (a.ctx, a.chunks, a.calib_samples, a.calib_seq), "",
                 "| configuration | avg bits | " + " | ".join(all_sets) + " |", "|---|---|" + "---|" * len(all_sets)]
        rows = [("FP (BF16)", "16", "fp")]
        for method in a.methods.split(","):
            for b in (2, 3, 4):
                rows.append(("uniform %d-bit %s" % (b, method.upper()), str(b), "uniform%d-%s" % (b, method)))
        for name in ranks:
            for method in a.lieq_methods.split(","):
                rows.append(("1 protected block (%s) %s" % (name, method.upper()), "%.3f" % (2 + 2 / L), "m1-%s-%s" % (name, method)))
        for label, bits, key in rows:
            lines.append("| %s | %s | %s |" % (label, bits, " | ".join(fmt(g(key, s)) for s in all_sets)))
        lines += ["", "Gap closed = (PPL(uniform 2-bit) − PPL(config)) / (PPL(uniform 2-bit) − PPL(FP)), per set:", ""]
        for name in ranks:
            for method in a.lieq_methods.split(","):
                parts = []
                for s in all_sets:
                    fp, u2, c = g("fp", s), g("uniform2-%s" % method, s), g("m1-%s-%s" % (name, method), s)
                    parts.append("%s %s" % (s, "%.0f%%" % (100 * (u2 - c) / (u2 - fp)) if None not in (fp, u2, c) and u2 != fp else "–"))
                lines.append("- 1 protected block by %s, %s: %s" % (name, method.upper(), ", ".join(parts)))
        lines += ["", "Sweep (%s; m blocks at 4 bits, the rest at 2; average bits 2 + 2m/L):" % a.sweep_method.upper(), ""]
        ms = sorted({min(int(x), L) for x in a.sweep_m.split(",")})
        for s in sweep_sets:
            lines += ["| %s: ranking \\ m | " % s + " | ".join(str(m) for m in ms) + " |", "|---|" + "---|" * len(ms)]
            for name in ranks:
                lines.append("| %s | %s |" % (name, " | ".join(fmt(g(R["sweep"][name][str(m)], s)) for m in ms)))
            lines.append("")
        lines.append("Rankings (most protected first): " + "; ".join("%s %s" % (k, v) for k, v in ranks.items()))
        if "oracle_delta_ppl_c4" in R:
            lines.append("")
            lines.append("ΔPPL on held-out C4 when a block is skipped: " + ", ".join("%d: %.1f" % (l, d) for l, d in enumerate(R["oracle_delta_ppl_c4"])))
        if "proxy" in ranks:
            o, p = ranks["oracle"], ranks["proxy"]
            ro = {b: i for i, b in enumerate(o)}
            rp = {b: i for i, b in enumerate(p)}
            n = len(o)
            rho = 1 - 6 * sum((ro[b] - rp[b]) ** 2 for b in range(n)) / (n * (n * n - 1))
            k = max(1, n // 4)
            lines.append("")
            lines.append("Proxy vs oracle: Spearman rho = %.2f; top-%d overlap %d/%d; top-1 %s." % (
                rho, k, len(set(o[:k]) & set(p[:k])), k, "agrees" if o[0] == p[0] else "differs"))
        lines.append("")
        lines.append("Total run time %.0f s." % R.get("elapsed_seconds", 0))
        open(os.path.join(a.out, "results.md"), "w").write("\n".join(lines) + "\n")
        print("\n".join(lines))
        self.svg(ranks, ms, sweep_sets[0])

    def svg(self, ranks, ms, s):
        R, L = self.results, self.L
        series = {name: [(m, R.get(R["sweep"][name][str(m)], {}).get("ppl", {}).get(s)) for m in ms] for name in ranks}
        vals = [v for pts in series.values() for _, v in pts if v is not None] + [R["fp"]["ppl"][s]]
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or 1
        lo, hi = lo - pad, hi + pad
        W, H, ml, mr, mt, mb = 640, 400, 70, 130, 30, 50
        X = lambda m: ml + (W - ml - mr) * m / L
        Y = lambda v: mt + (H - mt - mb) * (hi - v) / (hi - lo)
        colors = {"proxy": "#d62728", "oracle": "#1f77b4", "random": "#7f7f7f", "first-last": "#2ca02c"}
        o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="18" font-size="14">%s: %s perplexity vs protected blocks m (%s)</text>' % (ml, os.path.basename(self.a.model.rstrip("/")), s, self.a.sweep_method.upper()),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, H - mb, W - mr, H - mb),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, H - mb)]
        for m in ms:
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(m), H - mb + 16, m))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">m (blocks at 4 bits, rest 2 bits)</text>' % ((ml + W - mr) / 2, H - 12))
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            o.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (ml - 6, Y(v) + 4, v))
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>' % (ml, Y(v), W - mr, Y(v)))
        fp = R["fp"]["ppl"][s]
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black" stroke-dasharray="4,3"/>' % (ml, Y(fp), W - mr, Y(fp)))
        o.append('<text x="%d" y="%.1f">FP %.1f</text>' % (W - mr + 6, Y(fp) + 4, fp))
        for j, (name, pts) in enumerate(series.items()):
            c = colors.get(name, "#9467bd")
            pts = [(m, v) for m, v in pts if v is not None]
            o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, " ".join("%.1f,%.1f" % (X(m), Y(v)) for m, v in pts)))
            for m, v in pts:
                o.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(m), Y(v), c))
            o.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - mr + 6, mt + 20 + 16 * j, c, name))
        o.append("</svg>")
        open(os.path.join(self.a.out, "sweep.svg"), "w").write("\n".join(o) + "\n")


BEGIN, END = "<!-- issue18-budgets:begin -->", "<!-- issue18-budgets:end -->"


class BudgetExperiment(Experiment):
    """Issue 18, item 4: every signal and rule at equal budgets, GPTQ, perplexity ± s.e."""

    def __init__(self, a):
        self.a = a
        os.makedirs(os.path.join(a.out, "data"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "models"), exist_ok=True)
        os.makedirs(os.path.join(a.out, "plans"), exist_ok=True)
        self.results_path = os.path.join(a.out, "budgets.json")
        self.results = json.load(open(self.results_path)) if os.path.exists(self.results_path) else {}
        self.config = json.load(open(os.path.join(a.model, "config.json")))
        self.L = self.config["num_hidden_layers"]
        self.sets = self.prepare_texts()
        self.sets.pop("ptb")
        if a.own_text:
            self.sets["own"] = a.own_text

    def ppl_se(self, key, model):
        """Perplexity and its standard error on every set, resumable."""
        entry = self.results.setdefault("runs", {}).setdefault(key, {})
        for s in self.sets:
            if s in entry.get("ppl", {}):
                continue
            out, secs = run([self.a.lieq, "ppl", model, "--text", self.sets[s], "--ctx", str(self.a.ctx),
                             "--chunks", str(self.a.chunks), "--threads", str(self.a.threads), "--json"])
            j = json.loads(out)
            entry.setdefault("ppl", {})[s] = j["ppl"]
            entry.setdefault("se", {})[s] = j["ppl_stderr"]
            print("  %-34s %-9s ppl %10.3f ± %.3f  (%.0f s)" % (key, s, j["ppl"], j["ppl_stderr"], secs), flush=True)
            self.save()
        return entry

    def quantize_bits(self, bits):
        """Quantizes a width assignment once (plans that agree share the model)."""
        key = "b" + "".join(str(b) for b in bits)
        models = self.results.setdefault("models", {})
        path = os.path.join(self.a.out, "models", key)
        if key not in models or not os.path.isdir(path):
            plan = os.path.join(self.a.out, "plans", key + ".json")
            avg = sum(bits) / len(bits)
            json.dump({"format": "lieq-bitplan", "version": 1, "model": self.a.model, "num_blocks": self.L,
                       "bits": bits, "candidates": sorted(set(bits)), "group_size": self.a.group_size,
                       "budget": avg, "rank_by": "manual", "rank": [], "seed": 0, "avg_bits_linear": avg,
                       "avg_bits_file": 0, "diagnostics": ""}, open(plan, "w"), indent=1)
            cmd = [self.a.lieq, "quantize", self.a.model, "--plan", plan, "--method", self.a.budget_method,
                   "-o", path, "--force", "--group-size", str(self.a.group_size), "--threads", str(self.a.threads),
                   "--json"]
            if self.a.budget_method != "rtn":
                cmd += ["--calib", os.path.join(self.a.shared, "data/calib/c4-train-00000-head1000.jsonl"),
                        "--calib-samples", str(self.a.calib_samples), "--calib-seq", str(self.a.calib_seq),
                        "--seed", str(self.a.seed)]
            out, secs = run(cmd)
            models[key] = {"bits": bits, "quantize_seconds": json.loads(out)["quantize_seconds"]}
            print("  %-34s quantized in %.1f s" % (key, secs), flush=True)
            self.save()
        return key, path

    def diagnose(self):
        d = os.path.join(self.a.out, "diag")
        path = os.path.join(d, "diagnostics.json")
        if not os.path.exists(path):
            calib = os.path.join(self.a.shared, "data/calib/c4-train-00000-head1000.jsonl")
            run([self.a.lieq, "diagnose", self.a.model, "--calib", calib, "--samples", str(self.a.diag_samples),
                 "--seq", str(self.a.diag_seq), "--seed", str(self.a.seed), "--twin-seeds", str(self.a.twin_seeds),
                 "--eval-text", self.sets["c4"], "--eval-ctx", str(self.a.ctx), "--eval-windows", str(self.a.chunks),
                 "--sensitivity-bits", "2,3,4,8", "--sensitivity-method", self.a.budget_method,
                 "--group-size", str(self.a.group_size), "--cache-dir", os.path.join(self.a.out, "diag-cache"),
                 "-o", d, "--force", "--threads", str(self.a.threads)])
        j = json.load(open(path))
        t = j["timing"]
        # Seconds each signal's measurement took (the proxy pass, the L+1 ΔPPL passes, the KL passes).
        self.signal_seconds = {"proxy": t["proxy_seconds"], "ppl": t["ppl_seconds"],
                               "kl": t.get("sensitivity_seconds", 0.0), "first-last": 0.0, "random": 0.0}
        return path

    def plan(self, diag, budget, rank_by, extra):
        cmd = [self.a.lieq, "plan", "--diagnostics", diag, "--budget", "%.6f" % budget, "--rank-by", rank_by,
               "--group-size", str(self.a.group_size), "--json", *extra]
        out, secs = run(cmd)
        p = json.loads(out)
        return p, secs

    def main(self):
        a, L = self.a, self.L
        t0 = time.time()
        budgets = [float(x) for x in a.budget_list.split(",")] if a.budget_list else [2 + 2 / L, 2.25, 2.5, 3.0]
        print("FP and uniform", flush=True)
        self.ppl_se("fp", a.model)
        for b in (2, 3, 4):
            key, path = self.quantize_bits([b] * L)
            self.ppl_se(key, path)
        print("diagnose", flush=True)
        diag = self.diagnose()
        rows = []
        for budget in budgets:
            plans = [("proxy (paper rule, {2,4})", "proxy", ["--bits", "2,4", "--rule", "paper"]),
                     ("ΔPPL oracle (paper rule, {2,4})", "ppl", ["--bits", "2,4", "--rule", "paper"]),
                     ("measured KL + optimal ({2,3,4,8})", "kl", ["--bits", "2,3,4,8", "--rule", "optimal"]),
                     ("measured KL + optimal ({2,4})", "kl", ["--bits", "2,4", "--rule", "optimal"]),
                     ("first-last ({2,4})", "first-last", ["--bits", "2,4"])]
            plans += [("random seed %s ({2,4})" % s, "random", ["--bits", "2,4", "--seed", s])
                      for s in a.random_seeds.split(",")]
            for label, rank_by, extra in plans:
                p, plan_secs = self.plan(diag, budget, rank_by, extra)
                key, path = self.quantize_bits(p["bits"])
                entry = self.ppl_se(key, path)
                rows.append({"budget": budget, "label": label, "rank_by": rank_by, "rule": p.get("rule", ""),
                             "bits": p["bits"], "avg_bits_linear": p["avg_bits_linear"], "model": key,
                             "plan_seconds": self.signal_seconds[rank_by] + plan_secs})
        self.results["rows"] = rows
        if a.exhaustive:
            self.results["exhaustive"] = self.exhaustive()
        self.results["settings"] = vars(a)
        self.results["elapsed_seconds"] = self.results.get("elapsed_seconds", 0) + time.time() - t0
        self.save()
        self.report(budgets, rows)

    def exhaustive(self):
        """Every width assignment from {2,3,4} with 2L + 2 bits in all (blocks of equal size: one
        block at 4 bits, or two at 3), quantized and measured: the best plan at 2 + 2/L bits."""
        L, keys = self.L, []
        print("exhaustive: %d plans at %.4g bits" % (L + L * (L - 1) // 2, 2 + 2 / L), flush=True)
        for i in range(L):
            for j in range(i, L):
                bits = [2] * L
                if i == j:
                    bits[i] = 4
                else:
                    bits[i] = bits[j] = 3
                key, path = self.quantize_bits(bits)
                self.ppl_se(key, path)
                keys.append(key)
        return keys

    def command(self):
        """This run's command line, with OUT for the output folder and without --write-results."""
        args, out, skip = [], [], False
        for x in sys.argv[1:]:
            if skip:
                skip = False
                continue
            if x == "--write-results":
                skip = True
                continue
            out.append("OUT" if x == self.a.out else x)
        return "scripts/experiment_ppl.py " + " ".join(out)

    def report(self, budgets, rows):
        a, L, R = self.a, self.L, self.results
        runs = R["runs"]
        sets = list(self.sets)
        cell = lambda key, s: ("%.2f ± %.2f" % (runs[key]["ppl"][s], runs[key]["se"][s])
                               if s in runs.get(key, {}).get("ppl", {}) else "–")
        u2 = "b" + "2" * L

        def gap(key, s):
            fp, lo, c = (runs.get(k, {}).get("ppl", {}).get(s) for k in ("fp", u2, key))
            return "%.0f%%" % (100 * (lo - c) / (lo - fp)) if None not in (fp, lo, c) and lo != fp else "–"

        lines = [BEGIN, "", "### Bit allocation at equal budgets: %s (issue 18)" % a.model, "",
                 "Written by `%s` (%s, group %d, calibration %d × %d; "
                 "perplexity: GPTQ protocol, ctx %d, first %d windows, ± standard error; diagnose: %d × %d tokens, "
                 "%d twins, ΔPPL on held-out C4). Gap = share of the FP → uniform-2-bit gap closed, per set." % (
                     self.command(), a.budget_method.upper(), a.group_size, a.calib_samples, a.calib_seq, a.ctx, a.chunks,
                     a.diag_samples, a.diag_seq, a.twin_seeds), "",
                 "| budget | plan | bits per block | " + " | ".join(sets) + " | gap (%s) | plan time (s) |" % " / ".join(sets),
                 "|---|---|---|" + "---|" * len(sets) + "---|---|"]
        gaps = lambda key: " / ".join(gap(key, s) for s in sets)
        lines.append("| 16 | FP | – | %s | – | – |" % " | ".join(cell("fp", s) for s in sets))
        for b in (2, 3, 4):
            key = "b" + str(b) * L
            lines.append("| %d | uniform %d-bit | %d × %d | %s | %s | – |" % (
                b, b, L, b, " | ".join(cell(key, s) for s in sets), gaps(key)))
        for r in rows:
            lines.append("| %.4g | %s | %s | %s | %s | %.1f |" % (
                r["budget"], r["label"], " ".join(str(x) for x in r["bits"]),
                " | ".join(cell(r["model"], s) for s in sets), gaps(r["model"]), r["plan_seconds"]))
        if R.get("exhaustive"):
            lines += self.exhaustive_lines(R["exhaustive"], rows, sets, gaps)
        name = os.path.basename(a.model.rstrip("/"))
        # Written into FILE: the plot and the raw numbers go to results/ beside it.
        image = "results/%s-budgets.svg" % name if a.write_results else "budgets.svg"
        lines += ["", "![perplexity vs budget](%s)" % image, "", END]
        text = "\n".join(lines) + "\n"
        open(os.path.join(a.out, "budgets.md"), "w").write(text)
        print(text)
        self.budget_svg(budgets, rows, sets[0])
        if a.write_results:
            dest = os.path.join(os.path.dirname(a.write_results) or ".", "results")
            os.makedirs(dest, exist_ok=True)
            shutil.copyfile(os.path.join(a.out, "budgets.svg"), os.path.join(dest, name + "-budgets.svg"))
            shutil.copyfile(self.results_path, os.path.join(dest, name + "-budgets.json"))
            old = open(a.write_results).read() if os.path.exists(a.write_results) else ""
            if BEGIN in old and END in old:
                new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
            else:
                new = old.rstrip("\n") + "\n\n" + text
            open(a.write_results, "w").write(new)

    def exhaustive_lines(self, keys, rows, sets, gaps):
        """The exhaustive search at 2 + 2/L bits: the best plans by mean gap closed over the sets,
        and where each signal's plan at that budget ranks among all of them."""
        runs, L = self.results["runs"], self.L
        u2 = runs["b" + "2" * L]["ppl"]
        fp = runs["fp"]["ppl"]
        closed = lambda key: sum((u2[s] - runs[key]["ppl"][s]) / (u2[s] - fp[s]) for s in sets) / len(sets)
        ranked = sorted(keys, key=closed, reverse=True)
        b = 2 + 2 / L
        lines = ["", "Exhaustive search at %.4g bits (`--exhaustive`): all %d plans with one block at 4 bits or two "
                 "at 3, GPTQ, the same protocol; ranked by the mean share of the gap closed over %s." % (
                     b, len(keys), ", ".join(sets)), "",
                 "| rank | bits per block | " + " | ".join(sets) + " | gap (%s) |" % " / ".join(sets),
                 "|---|---|" + "---|" * len(sets) + "---|"]
        cell = lambda key, s: "%.2f ± %.2f" % (runs[key]["ppl"][s], runs[key]["se"][s])
        for i, key in enumerate(ranked[:5]):
            lines.append("| %d | %s | %s | %s |" % (i + 1, " ".join(key[1:]), " | ".join(cell(key, s) for s in sets),
                                                   gaps(key)))
        lines.append("| … %d | %s (worst) | %s | %s |" % (len(ranked), " ".join(ranked[-1][1:]),
                                                          " | ".join(cell(ranked[-1], s) for s in sets), gaps(ranked[-1])))
        lines += ["", "Where each signal's plan at %.4g bits ranks among the %d:" % (b, len(ranked)), ""]
        for r in rows:
            if abs(r["budget"] - b) < 1e-9 and r["model"] in ranked:
                lines.append("- %s (%s): rank %d, closes %.0f%% on average" % (
                    r["label"], " ".join(str(x) for x in r["bits"]), ranked.index(r["model"]) + 1,
                    100 * closed(r["model"])))
        return lines

    def budget_svg(self, budgets, rows, s):
        runs, L = self.results["runs"], self.L
        series = {}
        for r in rows:
            name = r["label"].split(" seed")[0]
            v = runs.get(r["model"], {}).get("ppl", {}).get(s)
            if v is not None:
                series.setdefault(name, {}).setdefault(r["budget"], []).append(v)
        fp = runs["fp"]["ppl"][s]
        u2 = runs.get("b" + "2" * L, {}).get("ppl", {}).get(s, fp)
        vals = [v for pts in series.values() for vs in pts.values() for v in vs] + [fp, u2]
        lo, hi = min(vals), max(vals)
        pad = (hi - lo) * 0.08 or 1
        lo, hi = lo - pad, hi + pad
        W, H, ml, mr, mt, mb = 720, 420, 70, 250, 30, 50
        bmin, bmax = min(budgets), max(budgets)
        X = lambda b: ml + (W - ml - mr) * ((b - bmin) / (bmax - bmin) if bmax > bmin else 0.5)
        Y = lambda v: mt + (H - mt - mb) * (hi - v) / (hi - lo)
        colors = ["#d62728", "#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#7f7f7f"]
        o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (W, H),
             '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="18" font-size="14">%s: %s perplexity vs budget (%s)</text>' % (
                 ml, os.path.basename(self.a.model.rstrip("/")), s, self.a.budget_method.upper()),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, H - mb, W - mr, H - mb),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, H - mb)]
        for b in budgets:
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%.3g</text>' % (X(b), H - mb + 16, b))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">average bits per block linear weight</text>' % ((ml + W - mr) / 2, H - 12))
        for i in range(5):
            v = lo + (hi - lo) * i / 4
            o.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (ml - 6, Y(v) + 4, v))
        for v, name in ((fp, "FP"), (u2, "uniform 2-bit")):
            o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black" stroke-dasharray="4,3"/>' % (ml, Y(v), W - mr, Y(v)))
            o.append('<text x="%d" y="%.1f">%s %.1f</text>' % (W - mr + 6, Y(v) + 4, name, v))
        for j, (name, pts) in enumerate(series.items()):
            c = colors[j % len(colors)]
            mean = sorted((b, sum(vs) / len(vs)) for b, vs in pts.items())
            o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
                c, " ".join("%.1f,%.1f" % (X(b), Y(v)) for b, v in mean)))
            for b, vs in pts.items():
                for v in vs:
                    o.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(b), Y(v), c))
            o.append('<text x="%d" y="%d" fill="%s">%s</text>' % (W - mr + 6, mt + 40 + 16 * j, c, name))
        o.append("</svg>")
        open(os.path.join(self.a.out, "budgets.svg"), "w").write("\n".join(o) + "\n")


if __name__ == "__main__":
    try:
        a = parse_args()
        (BudgetExperiment(a) if a.budgets else Experiment(a)).main()
    except RuntimeError as e:
        sys.exit(str(e))
