"""Writes the held-out split of the training corpus as plain text, for `lieq ppl --text FILE`.

data.py holds out the last VAL_FRACTION (1%) of every file's tokens under a given tokenizer. This
script cuts each file at the same token, decodes the held-out ids back to text (byte-level BPE
round-trips exactly) and writes the pieces in file order, separated by a blank line. The
document-end token data.py appends is not part of the text. Re-tokenizing the file gives the
held-out tokens up to the joins between files.

usage: python3 training/heldout_text.py --tokenizer training/runs/tokenizer-s/tokenizer.json \
         --out training/runs/heldout-s.txt [--data ../shared/data/train]
"""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import data  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data", "train"))
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    tok = bpe.Tokenizer(args.tokenizer)
    pieces = []
    for p in sorted(glob.glob(os.path.join(args.data, "*.txt"))):
        with open(p, encoding="utf-8") as f:
            text = f.read()
        ids = tok.encode(text, allow_special=False)
        n = len(ids) + 1  # data.py appends <|endoftext|> before cutting
        cut = n - max(1, int(n * data.VAL_FRACTION))
        pieces.append(tok.decode(ids[cut:]).strip("\n"))
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n\n".join(pieces) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(pieces)} files, {sum(len(x) for x in pieces)} chars")


if __name__ == "__main__":
    main()
