#!/usr/bin/python3
"""Export a MiniLM-L6-size BERT encoder with random weights for `npm run bench`.

    /usr/bin/python3 bench/export_minilm.py OUT.onnx

6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522, 512 positions (the shape of
sentence-transformers/all-MiniLM-L6-v2), inputs input_ids / attention_mask [batch, seq] int64,
output last_hidden_state. The architecture is the fixtures' HuggingFace-style BertModel
(scripts/export_fixtures.py); weights come from a fixed seed, so the file is the same every run.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import export_fixtures as fx  # noqa: E402

CONFIG = dict(vocab=30522, hidden=384, layers=6, heads=12, ffn=1536, max_pos=512, type_vocab=2)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_minilm.py OUT.onnx")
    torch.set_num_threads(1)
    torch.manual_seed(6)
    model = fx.randomize(fx.BertModel(CONFIG)).eval()
    ids = torch.randint(0, CONFIG["vocab"], (1, 16), dtype=torch.int64)
    mask = torch.ones((1, 16), dtype=torch.int64)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"}}
    torch.onnx.export(model, (ids, mask), sys.argv[1], input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                      do_constant_folding=True, export_params=True)


if __name__ == "__main__":
    main()
