#!/usr/bin/python3
"""Export a MiniLM-L6-size (or BERT-mini-size) BERT encoder with random weights for `npm run bench`.

    /usr/bin/python3 bench/export_minilm.py OUT.onnx [--size minilm|bert-mini]

minilm (default): 6 layers, hidden 384, 12 heads, FFN 1536 (the shape of sentence-transformers/all-MiniLM-L6-v2);
bert-mini: 4 layers, hidden 256, 4 heads, FFN 1024 (google/bert_uncased_L-4_H-256_A-4); both vocab 30522,
512 positions, inputs input_ids / attention_mask [batch, seq] int64,
output last_hidden_state. The architecture is the fixtures' HuggingFace-style BertModel
(scripts/export_fixtures.py); weights come from a fixed seed, so the file is the same every run.
"""

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import export_fixtures as fx  # noqa: E402

SIZES = {
    "minilm": dict(vocab=30522, hidden=384, layers=6, heads=12, ffn=1536, max_pos=512, type_vocab=2),
    "bert-mini": dict(vocab=30522, hidden=256, layers=4, heads=4, ffn=1024, max_pos=512, type_vocab=2),
}


def main():
    args = sys.argv[1:]
    size = "minilm"
    if len(args) == 3 and args[1] == "--size" and args[2] in SIZES:
        size = args[2]
    elif len(args) != 1:
        sys.exit(f"usage: export_minilm.py OUT.onnx [--size {'|'.join(SIZES)}]")
    config = SIZES[size]
    torch.set_num_threads(1)
    torch.manual_seed(6)
    model = fx.randomize(fx.BertModel(config)).eval()
    ids = torch.randint(0, config["vocab"], (1, 16), dtype=torch.int64)
    mask = torch.ones((1, 16), dtype=torch.int64)
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"}}
    torch.onnx.export(model, (ids, mask), args[0], input_names=["input_ids", "attention_mask"],
                      output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                      do_constant_folding=True, export_params=True)


if __name__ == "__main__":
    main()
