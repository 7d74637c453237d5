"""Quantize the linear weights of a local Hugging Face / safetensors model to INT8 or
INT4 and write them as safetensors with their scales and a metadata header; print a
per-layer error table (SQNR, max abs error, bits per weight).

Every 2-D `*.weight` outside the embeddings is quantized (symmetric; --asymmetric adds
zero points): INT8 per output channel, or per group of --group input values; INT4 per
group (--group, default 32), two values per byte (element 2i in the low nibble, stored
as q + 8). Each quantized `NAME` becomes `NAME.qweight` (int8, or uint8 packed),
`NAME.scales` (float32 [out, groups]) and, when asymmetric, `NAME.zero_points`;
other tensors are copied unchanged, and so are the other files of the model folder
(config, tokenizer). `load_dequantized(OUT_DIR)` reads the result back.

    aigc-bench quantize "$(python -c 'from aigc_bench.models import minilm_dir; print(minilm_dir())')" --bits 4 --group 32 --out /tmp/minilm-int4
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

NAME = "quantize"
HELP = "quantize a local safetensors model to INT8/INT4 and print the per-layer error"
FORMAT = "aigc-bench-quantized/1"
SUPPORTED_DTYPES = ("float32", "float16", "bfloat16")


class QuantizeError(Exception):
    """Bad input, reported as 'error: ...' with exit status 2."""


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="a local model folder holding *.safetensors (e.g. all-MiniLM-L6-v2)")
    parser.add_argument("--bits", type=int, choices=(8, 4), required=True, help="8 or 4")
    parser.add_argument("--group", type=int, default=None, help="group size along the input dimension (INT4 default 32; INT8 default: one scale per output channel)")
    parser.add_argument("--asymmetric", action="store_true", help="zero points: range [min, max] instead of [-max, max]")
    parser.add_argument("--include-embeddings", action="store_true", help="also quantize 2-D embedding tables")
    parser.add_argument("--out", required=True, metavar="OUT_DIR", help="output folder (created; must be empty unless --force)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty OUT_DIR")


def run(args) -> int:
    try:
        plan = _plan(args)
        table = _quantize(plan, args)
    except QuantizeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_table(table, args)
    return 0


# --------------------------------------------------------------------------- reading and checking


def _plan(args) -> dict:
    from safetensors import safe_open

    from aigc_bench.quantization import linear_weights

    source = Path(args.model_dir)
    if not source.is_dir():
        raise QuantizeError(f"MODEL_DIR {source} is not a folder")
    files = sorted(source.glob("*.safetensors"))
    if not files:
        found = sorted(p.name for p in source.iterdir())[:12]
        hint = " (only PyTorch .bin weights: convert them to safetensors first)" if any(n.endswith(".bin") for n in found) else ""
        raise QuantizeError(f"no *.safetensors file in {source}{hint}; found: {', '.join(found) or 'nothing'}")
    out = Path(args.out)
    if out.resolve() == source.resolve():
        raise QuantizeError("--out must differ from MODEL_DIR (the source would be overwritten)")
    if out.exists() and any(out.iterdir()) and not args.force:
        raise QuantizeError(f"--out {out} exists and is not empty (use --force to write into it)")
    group = args.group if args.group is not None else (32 if args.bits == 4 else None)
    if group is not None and (group <= 0 or (args.bits == 4 and group % 2)):
        raise QuantizeError(f"--group {group} must be a positive{' even' if args.bits == 4 else ''} integer")

    chosen: dict[Path, list[str]] = {}
    for path in files:
        try:
            with safe_open(str(path), framework="pt") as f:
                shapes = {name: f.get_slice(name).get_shape() for name in f.keys()}
                dtypes = {name: f.get_slice(name).get_dtype() for name in f.keys()}
        except Exception as exc:  # truncated or not a safetensors file
            raise QuantizeError(f"cannot read {path.name}: {exc}") from None
        names = linear_weights({n: _Shape(s) for n, s in shapes.items()}, include_embeddings=args.include_embeddings)
        for name in names:
            dtype = _dtype_name(dtypes[name])
            if dtype not in SUPPORTED_DTYPES:
                raise QuantizeError(
                    f"{path.name}: {name} has dtype {dtypes[name]}; quantize reads {', '.join(SUPPORTED_DTYPES)} weights "
                    "(is the model already quantized?)"
                )
            in_features = shapes[name][1]
            if group is not None and in_features % group:
                raise QuantizeError(f"--group {group} does not divide the input dimension {in_features} of {name} {list(shapes[name])}")
        chosen[path] = names
    if not any(chosen.values()):
        raise QuantizeError(f"no 2-D float weight matrix to quantize in {source}")
    return {"source": source, "out": out, "files": chosen, "group": group}


class _Shape:
    def __init__(self, shape):
        self.shape = tuple(shape)


def _dtype_name(safetensors_dtype: str) -> str:
    return {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}.get(safetensors_dtype, safetensors_dtype)


# --------------------------------------------------------------------------- quantizing


def _quantize(plan: dict, args) -> list[dict]:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import save_file
    from tqdm import tqdm

    from aigc_bench.quantization import sqnr_db
    from impls.numpy import quant_error, quantize_int4, quantize_int8

    out: Path = plan["out"]
    out.mkdir(parents=True, exist_ok=True)
    _copy_other_files(plan["source"], out)
    group, symmetric = plan["group"], not args.asymmetric
    table = []
    total = sum(len(n) for n in plan["files"].values())
    with tqdm(total=total, desc=f"INT{args.bits} quantize", unit="layer", file=sys.stderr, disable=None) as bar:
        for path, names in plan["files"].items():
            tensors: dict[str, np.ndarray] = {}
            with safe_open(str(path), framework="pt") as f:
                for name in f.keys():
                    tensor = f.get_tensor(name)
                    if name not in names:
                        tensors[name] = tensor.float().numpy() if str(tensor.dtype) == "torch.bfloat16" else tensor.numpy()
                        continue
                    w = tensor.float().numpy()  # [out, in]
                    if args.bits == 8:
                        granularity = "group" if group else "row"
                        if symmetric:
                            q, scale = quantize_int8.quantize_int8(w, granularity, group_size=group)
                            zero_point = None
                        else:
                            q, scale, zero_point = quantize_int8.quantize_int8_asymmetric(w, granularity, group_size=group)
                        w_hat = quantize_int8.dequantize_int8(q, scale, zero_point)
                    else:
                        q, scale, zero_point = quantize_int4.quantize_int4(w, group, symmetric=symmetric)
                        w_hat = quantize_int4.dequantize_int4(q, scale, zero_point)
                    tensors[f"{name}.qweight"] = q
                    tensors[f"{name}.scales"] = scale
                    if zero_point is not None:
                        tensors[f"{name}.zero_points"] = zero_point.astype(np.uint8)
                    bits, ratio = quant_error.compression_ratio(w.size, args.bits, scale.size, 32, 0 if symmetric else 8)
                    table.append({
                        "layer": name, "shape": list(w.shape), "sqnr_db": sqnr_db(w, w_hat),
                        "max_abs_error": float(np.max(np.abs(w - w_hat))), "bits_per_weight": bits, "ratio": ratio,
                    })
                    bar.update(1)
            metadata = {
                "format": FORMAT,
                "bits": str(args.bits),
                "group_size": str(group) if group else "per_output_channel",
                "scheme": "symmetric" if symmetric else "asymmetric",
                "int4_packing": "byte = q[2i] | q[2i+1] << 4; symmetric nibble = q + 8",
                "quantized": json.dumps(names),
                "source": str(plan["source"]),
            }
            save_file(tensors, str(out / path.name), metadata=metadata)
    return table


def _copy_other_files(source: Path, out: Path) -> None:
    """Config, tokenizer, pooling folders: everything but the weights."""
    for item in source.iterdir():
        if item.suffix == ".safetensors" or item.name.startswith("."):
            continue
        if item.is_dir():
            shutil.copytree(item, out / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, out / item.name)


def load_dequantized(folder) -> dict:
    """{name: float32 array} from a quantize output folder: quantized weights dequantized,
    other tensors as stored. Raises ValueError for a folder this command did not write."""
    from safetensors import safe_open

    from impls.numpy import quantize_int4, quantize_int8

    weights = {}
    for path in sorted(Path(folder).glob("*.safetensors")):
        with safe_open(str(path), framework="np") as f:
            meta = f.metadata() or {}
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path} was not written by `aigc-bench quantize` (format {meta.get('format')!r})")
            raw = {name: f.get_tensor(name) for name in f.keys()}
        for name in json.loads(meta["quantized"]):
            q, scale, zp = raw.pop(f"{name}.qweight"), raw.pop(f"{name}.scales"), raw.pop(f"{name}.zero_points", None)
            zp = None if zp is None else zp.astype("int32")
            if meta["bits"] == "8":
                weights[name] = quantize_int8.dequantize_int8(q, scale, zp)
            else:
                weights[name] = quantize_int4.dequantize_int4(q, scale, zp)
        weights.update(raw)
    return weights


# --------------------------------------------------------------------------- output


def _print_table(table: list[dict], args) -> None:
    width = max(len(r["layer"]) for r in table)
    print(f"{'layer':<{width}}  {'shape':>12}  {'SQNR dB':>8}  {'max |err|':>10}  {'bits/w':>7}")
    for r in table:
        shape = "x".join(map(str, r["shape"]))
        print(f"{r['layer']:<{width}}  {shape:>12}  {r['sqnr_db']:8.2f}  {r['max_abs_error']:10.3e}  {r['bits_per_weight']:7.3f}")
    n = sum(r["shape"][0] * r["shape"][1] for r in table)
    bits = sum(r["bits_per_weight"] * r["shape"][0] * r["shape"][1] for r in table) / n
    mean_sqnr = sum(r["sqnr_db"] for r in table) / len(table)
    worst = min(table, key=lambda r: r["sqnr_db"])
    print(
        f"{len(table)} layers, {n:,} weights: {bits:.3f} bits/weight ({32 / bits:.2f}x smaller than float32), "
        f"mean SQNR {mean_sqnr:.2f} dB, worst {worst['sqnr_db']:.2f} dB ({worst['layer']}); written to {args.out}"
    )
