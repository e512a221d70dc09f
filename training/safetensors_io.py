"""Minimal safetensors reader/writer (Debian has no python3-safetensors).

Format: 8-byte little-endian header length N, N bytes of JSON
{"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
(offsets relative to the end of the header), then the raw little-endian tensor bytes.
"""

import json
import os
import struct

import numpy as np
import torch

_TO_NAME = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32"}
_FROM_NAME = {"BF16": (np.int16, torch.bfloat16), "F16": (np.float16, torch.float16),
              "F32": (np.float32, torch.float32)}


def _raw_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the same 2-byte words as int16.
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def save(tensors, path, metadata=None):
    """Writes {name: tensor} atomically (temporary file + rename), tensors in name order."""
    header = {"__metadata__": dict(metadata or {"format": "pt"})}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _TO_NAME:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {t.dtype}")
        raw = _raw_bytes(t)
        header[name] = {"dtype": _TO_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # keeps tensor data 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def load(path):
    """Reads a safetensors file into {name: tensor} (dtype as stored) and its metadata."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file size {len(data)}")
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        np_type, torch_type = _FROM_NAME[e["dtype"]]
        begin, end = e["data_offsets"]
        arr = np.frombuffer(data, dtype=np_type, count=(end - begin) // np.dtype(np_type).itemsize,
                            offset=base + begin).copy()
        t = torch.from_numpy(arr)
        if torch_type == torch.bfloat16:
            t = t.view(torch.bfloat16)
        out[name] = t.reshape(e["shape"])
    return out, header.get("__metadata__", {})
