#!/usr/bin/env python3
"""Independent safetensors reader used by the IO tests to check files the engine writes.

Usage: read_safetensors.py FILE...  -> prints, one line per file, a JSON object {"metadata": {...}, "reader": "torch"|"struct",
"tensors": {name: {"dtype", "shape", "bits": [float32 bit patterns]}}}. Uses torch.frombuffer when torch is
importable (Debian's python3-torch), otherwise struct.
"""
import json
import struct
import sys

SIZES = {"F32": 4, "BF16": 2, "F16": 2}


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    try:
        import torch
        dtypes = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    except ImportError:
        torch = None
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        chunk = data[b:end]
        count = len(chunk) // SIZES[e["dtype"]]
        if torch is not None:
            t = torch.frombuffer(bytearray(chunk), dtype=dtypes[e["dtype"]]) if count else torch.zeros(0, dtype=dtypes[e["dtype"]])
            values = t.reshape(e["shape"]).float().flatten().tolist()
        elif e["dtype"] == "F32":
            values = list(struct.unpack("<%df" % count, chunk))
        elif e["dtype"] == "BF16":
            values = [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in struct.unpack("<%dH" % count, chunk)]
        else:
            values = list(struct.unpack("<%de" % count, chunk))
        out[name] = {"dtype": e["dtype"], "shape": e["shape"],
                     "bits": [struct.unpack("<I", struct.pack("<f", v))[0] for v in values]}
    print(json.dumps({"metadata": metadata, "reader": "torch" if torch is not None else "struct", "tensors": out}))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
