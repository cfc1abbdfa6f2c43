"""A fast structural check of a .gguf file: magic, header, metadata and that all tensor data is present.

`gguf.GGUFReader` would do it too but takes seconds on a 100 MB file; this reads only the header and
metadata (a few MB at most), so it can run before every session.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

from ...errors import ModelLoadError

_MAGIC = b"GGUF"
# GGUF metadata value types -> struct format of the scalar types.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


class _Cursor:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise EOFError
        value = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def skip(self, n: int) -> None:
        if self.pos + n > len(self.data):
            raise EOFError
        self.pos += n

    def string(self) -> bytes:
        n = self.read("Q")
        start = self.pos
        self.skip(n)
        return self.data[start : self.pos]

    def value(self, vtype: int):
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            item_type, count = self.read("I"), self.read("Q")
            if item_type in _SCALARS:  # skip fixed-size arrays without reading them
                self.skip(count * struct.calcsize(_SCALARS[item_type]))
                return None
            for _ in range(count):
                self.value(item_type)
            return None
        if vtype not in _SCALARS:
            raise ValueError(f"unknown metadata type {vtype}")
        return self.read(_SCALARS[vtype])


def check_gguf(path: str | os.PathLike[str]) -> dict[str, object]:
    """Raise ModelLoadError if `path` is not a complete GGUF file; return a few metadata fields."""
    path = Path(path)
    size = path.stat().st_size
    fix = "Reinstall or re-download the file; if it came from a bundled model, reinstall its package."
    with open(path, "rb") as handle:
        if handle.read(4) != _MAGIC:
            raise ModelLoadError(f"{path} is not a GGUF file (it does not start with the GGUF magic bytes). {fix}")
        # Metadata is at the front; 64 MiB covers the largest tokenizer vocabularies.
        cursor = _Cursor(_MAGIC + handle.read(64 << 20))
    cursor.skip(4)
    try:
        version, n_tensors, n_kv = cursor.read("I"), cursor.read("Q"), cursor.read("Q")
        fields: dict[str, object] = {"version": version}
        for _ in range(n_kv):
            key = cursor.string().decode("utf-8", "replace")
            value = cursor.value(cursor.read("I"))
            if key in ("general.architecture", "general.alignment", "general.name"):
                fields[key] = value.decode() if isinstance(value, bytes) else value
        data_end = 0
        for _ in range(n_tensors):
            cursor.string()
            dims = [cursor.read("Q") for _ in range(cursor.read("I"))]
            ggml_type, offset = cursor.read("I"), cursor.read("Q")
            data_end = max(data_end, offset + _tensor_bytes(dims, ggml_type))
    except (EOFError, ValueError, struct.error) as exc:
        raise ModelLoadError(f"{path} is a corrupt or truncated GGUF file: its header cannot be read ({str(exc) or 'it ends early'}). {fix}") from None
    alignment = int(fields.get("general.alignment", 32))
    data_start = -(-cursor.pos // alignment) * alignment
    if data_start + data_end > size:
        raise ModelLoadError(
            f"{path} is a truncated GGUF file: its {n_tensors} tensors need {data_start + data_end:,} bytes "
            f"but the file has {size:,}. {fix}"
        )
    fields["n_tensors"] = n_tensors
    return fields


def _tensor_bytes(dims: list[int], ggml_type: int) -> int:
    try:
        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (KeyError, ValueError):
        raise ValueError(f"unknown tensor type {ggml_type}") from None
    n_elements = 1
    for dim in dims:
        n_elements *= dim
    return n_elements // block_size * type_size
