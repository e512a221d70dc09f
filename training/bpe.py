"""Byte-level BPE as Qwen2/Qwen3 define it: NFC, the Qwen2 split regex, GPT-2's byte alphabet.

Shared by train_tokenizer.py (alphabet, pre-tokenizer), train.py (encoding the corpus) and
golden.py (encoding the prompt). Reads the Hugging Face tokenizer.json it writes, so a file
produced here and Qwen3's own file go through the same code (checked against llama.cpp's
Qwen2 test vectors by test_bpe.py).
"""

import json
import unicodedata

import regex

# The Qwen2 pre-tokenizer: contractions, letters with one leading non-letter, single digits,
# punctuation runs, newline runs, trailing spaces kept apart from the next word.
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
               r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_SPLIT_RE = regex.compile(QWEN2_SPLIT)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map, in its canonical order.

    Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 onwards so no
    token text contains whitespace or control characters. The list order (printable first)
    is the id order of the 256 byte tokens in Qwen's vocabulary, which we keep.
    """
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) +
          list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


BYTE_TO_CHAR = {b: c for b, c in bytes_to_unicode()}
CHAR_TO_BYTE = {c: b for b, c in bytes_to_unicode()}


def normalize(text):
    return unicodedata.normalize("NFC", text)


def pre_tokenize(text):
    """NFC text -> list of pieces in byte-level alphabet (what BPE merges operate on)."""
    return [to_byte_level(piece) for piece in _SPLIT_RE.findall(text)]


def split_words(text):
    """The Qwen2 regex pieces of already-normalised text, as plain strings."""
    return _SPLIT_RE.findall(text)


def to_byte_level(piece):
    return "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))


class Tokenizer:
    """Encoder/decoder for a byte-level BPE tokenizer.json (Qwen2/Qwen3 layout)."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            j = json.load(f)
        model = j["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"{path}: model type {model.get('type')!r} is not BPE")
        self.vocab = dict(model["vocab"])
        for tok in j.get("added_tokens", []):
            self.vocab[tok["content"]] = tok["id"]
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        merges = model["merges"]
        # Two on-disk forms exist: "a b" strings (older files) and [a, b] pairs (newer).
        pairs = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in merges]
        self.ranks = {p: r for r, p in enumerate(pairs)}
        self.specials = {t["content"]: t["id"] for t in j.get("added_tokens", [])}
        self.nfc = (j.get("normalizer") or {}).get("type") == "NFC"
        # Splits text on special tokens (longest first) so they are never merged through.
        alternatives = sorted(self.specials, key=len, reverse=True)
        self._special_re = (regex.compile("(" + "|".join(regex.escape(s) for s in alternatives) +
                                          ")") if alternatives else None)
        self._cache = {}

    def _bpe(self, piece):
        """Applies merges to one byte-level piece, lowest rank first (the BPE definition)."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        symbols = list(piece)
        while len(symbols) > 1:
            best, best_rank = -1, None
            for i in range(len(symbols) - 1):
                r = self.ranks.get((symbols[i], symbols[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best < 0:
                break
            pair = (symbols[best], symbols[best + 1])
            merged = pair[0] + pair[1]
            out, i = [], 0
            # Merges every occurrence of the best pair left to right, as HF does.
            while i < len(symbols):
                if i < len(symbols) - 1 and (symbols[i], symbols[i + 1]) == pair:
                    out.append(merged)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        ids = [self.vocab[s] for s in symbols]
        self._cache[piece] = ids
        return ids

    def encode(self, text, allow_special=True):
        if self.nfc:
            text = normalize(text)
        parts = (self._special_re.split(text)
                 if allow_special and self._special_re is not None else [text])
        ids = []
        for part in parts:
            if not part:
                continue
            if allow_special and part in self.specials:
                ids.append(self.specials[part])
                continue
            for piece in pre_tokenize(part):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok in self.specials:
                out += tok.encode("utf-8")
            else:
                out += bytes(CHAR_TO_BYTE[c] for c in tok)
        return out.decode("utf-8", errors="replace")
