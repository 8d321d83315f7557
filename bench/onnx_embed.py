"""An ONNX Runtime embedder for all-MiniLM-L6-v2, exported from the bundled torch weights offline.

sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, whose only releases
require transformers < 4.58 while sentence-transformers 6.2 requires transformers >= 5: it cannot
be installed here. So the bench exports the same model itself (``torch.onnx.export``, pooling
and normalisation inside the graph) and runs it with onnxruntime, which chromadb already
installs. Int8 dynamic quantisation uses ``onnxruntime.quantization`` (needs the ``onnx``
package: the ``[onnx]`` extra).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def export_onnx(st_model: Any, out_path: Path) -> Path:
    """Export a loaded SentenceTransformer (BERT + mean pooling + normalise) to one ONNX graph."""
    import torch

    hf = st_model[0].auto_model
    tok = st_model.tokenizer

    class _Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = hf

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    enc = tok(
        ["an example sentence", "another, longer example sentence for export"],
        padding=True,
        return_tensors="pt",
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wrapped = _Wrapped().eval()
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            tuple(enc[k] for k in _INPUTS),
            str(out_path),
            input_names=_INPUTS,
            output_names=["sentence_embedding"],
            dynamic_axes={
                **{k: {0: "batch", 1: "seq"} for k in _INPUTS},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    return out_path


def quantize_int8(fp32_path: Path, out_path: Path, per_channel: bool = False) -> Path:
    """Dynamic int8 quantisation of the weights (activations quantised per batch at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)  # the quantiser logs every tensor at INFO on the root logger
    try:
        _quantize(quantize_dynamic, QuantType, fp32_path, out_path, per_channel)
    finally:
        root.setLevel(level)
    return out_path


def _quantize(
    quantize_dynamic: Any, quant_type: Any, fp32_path: Path, out_path: Path, per_channel: bool
) -> None:
    quantize_dynamic(str(fp32_path), str(out_path), weight_type=quant_type.QInt8, per_channel=per_channel)


class OnnxEmbedder:
    """Same tokenisation and truncation as the SentenceTransformer it was exported from."""

    def __init__(
        self, onnx_path: Path, tokenizer: Any, max_seq_length: int, threads: int | None = None
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or (os.cpu_count() or 1)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out: list[np.ndarray] = []
        # Sort by length like sentence-transformers does, so padding stays small.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            enc = self.tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self.max_seq_length,
                return_tensors="np",
            )
            feed = {k: enc[k].astype(np.int64) for k in _INPUTS}
            out.append(self.session.run(["sentence_embedding"], feed)[0])
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        stacked = np.concatenate(out)
        result = np.empty_like(stacked)
        result[np.array(order)] = stacked
        return result
