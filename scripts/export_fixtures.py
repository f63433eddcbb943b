#!/usr/bin/python3
"""Export the PyTorch test fixtures used by xfc's tests.

Run with Debian's python (it has torch 1.13, onnx 1.12, numpy):

    /usr/bin/python3 scripts/export_fixtures.py            # == npm run fixtures
    /usr/bin/python3 scripts/export_fixtures.py --variant big --out /tmp/xfc-big

The default run writes
    fixtures/models/<model>-opset<N>.onnx        (N = 14 and 17)
    fixtures/data/<model>/<case>/<name>.npy      (inputs + PyTorch float32 outputs)
    fixtures/manifest.json                       (machine-readable index)
    examples/tiny-bert.onnx, examples/input_ids.npy, examples/attention_mask.npy

The models are written the way real code (HuggingFace transformers, torch.nn)
writes them, so the exporter emits the same graph patterns a user's model
would: view/permute head splits, masks computed in the graph, Conv1D-as-addmm,
shape-derived scales, and so on.  See fixtures/README.md.
"""

import argparse
import collections
import json
import math
import os
import shutil
import sys
import warnings
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSETS = (14, 17)

# ---------------------------------------------------------------------------
# Sizes.  "small" is what is checked in under fixtures/; the others exist so
# the same architectures can be exported at sizes the compiler has never seen.
# ---------------------------------------------------------------------------
VARIANTS = {
    "small": dict(
        bert=dict(vocab=100, hidden=32, layers=2, heads=4, ffn=64, max_pos=160, type_vocab=2),
        gpt2=dict(vocab=100, hidden=32, layers=2, heads=4, ffn=128, n_positions=160),
        vit=dict(image=32, channels=3, patch=8, hidden=32, layers=2, heads=4, mlp=64, classes=10),
        tenc=dict(in_features=16, d_model=32, heads=4, ffn=64, layers=2),
    ),
    # Bigger, different head count, deeper, different vocab / classes.
    "big": dict(
        bert=dict(vocab=250, hidden=48, layers=3, heads=6, ffn=96, max_pos=192, type_vocab=2),
        gpt2=dict(vocab=250, hidden=48, layers=3, heads=6, ffn=192, n_positions=192),
        vit=dict(image=48, channels=3, patch=12, hidden=48, layers=3, heads=6, mlp=96, classes=7),
        tenc=dict(in_features=24, d_model=48, heads=6, ffn=96, layers=3),
    ),
    # Awkward sizes: head_dim 12, 3 heads, a single layer, odd vocab, 1 channel.
    "odd": dict(
        bert=dict(vocab=37, hidden=36, layers=1, heads=3, ffn=60, max_pos=130, type_vocab=3),
        gpt2=dict(vocab=37, hidden=36, layers=1, heads=3, ffn=100, n_positions=130),
        vit=dict(image=24, channels=1, patch=6, hidden=36, layers=1, heads=3, mlp=60, classes=5),
        tenc=dict(in_features=10, d_model=36, heads=3, ffn=60, layers=1),
    ),
}

MODEL_SEEDS = {"bert": 1, "gpt2": 2, "vit": 3, "tenc_post": 4, "tenc_pre": 5}
VARIANT_SEED_OFFSET = {"small": 0, "big": 1000, "odd": 2000}


# ---------------------------------------------------------------------------
# BERT (HuggingFace BertModel, encoder part, no pooler)
# ---------------------------------------------------------------------------
class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab"], c["hidden"], padding_idx=0)
        self.position_embeddings = nn.Embedding(c["max_pos"], c["hidden"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab"], c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(c["max_pos"]).expand((1, -1)))
        self.register_buffer(
            "token_type_ids", torch.zeros(self.position_ids.size(), dtype=torch.long), persistent=False
        )

    def forward(self, input_ids):
        input_shape = input_ids.size()
        seq_length = input_shape[1]
        position_ids = self.position_ids[:, 0:seq_length]
        buffered_token_type_ids = self.token_type_ids[:, :seq_length]
        token_type_ids = buffered_token_type_ids.expand(input_shape[0], seq_length)

        inputs_embeds = self.word_embeddings(input_ids)
        token_type_embeddings = self.token_type_embeddings(token_type_ids)
        embeddings = inputs_embeds + token_type_embeddings
        embeddings = embeddings + self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(embeddings)
        embeddings = self.dropout(embeddings)
        return embeddings


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_attention_heads = c["heads"]
        self.attention_head_size = c["hidden"] // c["heads"]
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(c["hidden"], self.all_head_size)
        self.key = nn.Linear(c["hidden"], self.all_head_size)
        self.value = nn.Linear(c["hidden"], self.all_head_size)
        self.dropout = nn.Dropout(0.1)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, attention_mask=None):
        mixed_query_layer = self.query(hidden_states)
        key_layer = self.transpose_for_scores(self.key(hidden_states))
        value_layer = self.transpose_for_scores(self.value(hidden_states))
        query_layer = self.transpose_for_scores(mixed_query_layer)

        attention_scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        attention_scores = attention_scores / math.sqrt(self.attention_head_size)
        if attention_mask is not None:
            attention_scores = attention_scores + attention_mask
        attention_probs = nn.functional.softmax(attention_scores, dim=-1)
        attention_probs = self.dropout(attention_probs)

        context_layer = torch.matmul(attention_probs, value_layer)
        context_layer = context_layer.permute(0, 2, 1, 3).contiguous()
        new_context_layer_shape = context_layer.size()[:-2] + (self.all_head_size,)
        context_layer = context_layer.view(new_context_layer_shape)
        return context_layer


class BertSelfOutput(nn.Module):
    def __init__(self, c, in_size):
        super().__init__()
        self.dense = nn.Linear(in_size, c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states, input_tensor):
        hidden_states = self.dense(hidden_states)
        hidden_states = self.dropout(hidden_states)
        hidden_states = self.LayerNorm(hidden_states + input_tensor)
        return hidden_states


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c, c["hidden"])

    def forward(self, hidden_states, attention_mask=None):
        self_outputs = self.self(hidden_states, attention_mask)
        return self.output(self_outputs, hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["ffn"])

    def forward(self, hidden_states):
        return F.gelu(self.dense(hidden_states))  # erf GELU


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertSelfOutput(c, c["ffn"])  # BertOutput has the same shape

    def forward(self, hidden_states, attention_mask=None):
        attention_output = self.attention(hidden_states, attention_mask)
        intermediate_output = self.intermediate(attention_output)
        return self.output(intermediate_output, attention_output)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["layers"])])

    def forward(self, hidden_states, attention_mask=None):
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states, attention_mask)
        return hidden_states


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)

    def get_extended_attention_mask(self, attention_mask, dtype):
        extended_attention_mask = attention_mask[:, None, None, :]
        extended_attention_mask = extended_attention_mask.to(dtype=dtype)
        extended_attention_mask = (1.0 - extended_attention_mask) * -10000.0
        return extended_attention_mask

    def forward(self, input_ids, attention_mask):
        embedding_output = self.embeddings(input_ids)
        extended_attention_mask = self.get_extended_attention_mask(attention_mask, embedding_output.dtype)
        return self.encoder(embedding_output, extended_attention_mask)


# ---------------------------------------------------------------------------
# GPT-2 (HuggingFace GPT2LMHeadModel, no past key values)
# ---------------------------------------------------------------------------
class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer with the weight stored transposed."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        w = torch.empty(nx, nf)
        nn.init.normal_(w, std=0.02)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        x = x.view(size_out)
        return x


def gelu_new(input):
    """HF "gelu_new" (tanh approximation, as in the original GPT-2)."""
    return 0.5 * input * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (input + 0.044715 * torch.pow(input, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        max_positions = c["n_positions"]
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((max_positions, max_positions), dtype=torch.uint8)).bool().view(
                1, 1, max_positions, max_positions
            ),
            persistent=False,
        )
        self.embed_dim = c["hidden"]
        self.num_heads = c["heads"]
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)

    def _attn(self, query, key, value):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        attn_weights = attn_weights / torch.tensor(
            value.size(-1) ** 0.5, dtype=attn_weights.dtype, device=attn_weights.device
        )
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length : key_length, :key_length]
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.full([], mask_value, dtype=attn_weights.dtype).to(attn_weights.device)
        attn_weights = torch.where(causal_mask, attn_weights.to(attn_weights.dtype), mask_value)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = attn_weights.type(value.dtype)
        attn_weights = self.attn_dropout(attn_weights)
        return torch.matmul(attn_weights, value)

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)  # (batch, head, seq_length, head_features)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def forward(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        attn_output = self._attn(query, key, value)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.c_proj(attn_output)
        attn_output = self.resid_dropout(attn_output)
        return attn_output


class GPT2MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = Conv1D(c["ffn"], c["hidden"])
        self.c_proj = Conv1D(c["hidden"], c["ffn"])
        self.dropout = nn.Dropout(0.1)

    def forward(self, hidden_states):
        hidden_states = self.c_fc(hidden_states)
        hidden_states = gelu_new(hidden_states)
        hidden_states = self.c_proj(hidden_states)
        return self.dropout(hidden_states)


class GPT2Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.attn = GPT2Attention(c)
        self.ln_2 = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.mlp = GPT2MLP(c)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = self.ln_1(hidden_states)
        attn_output = self.attn(hidden_states)
        hidden_states = attn_output + residual
        residual = hidden_states
        hidden_states = self.ln_2(hidden_states)
        feed_forward_hidden_states = self.mlp(hidden_states)
        return residual + feed_forward_hidden_states


class GPT2LMHeadModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c["vocab"], c["hidden"])
        self.wpe = nn.Embedding(c["n_positions"], c["hidden"])
        self.drop = nn.Dropout(0.1)
        self.h = nn.ModuleList([GPT2Block(c) for _ in range(c["layers"])])
        self.ln_f = nn.LayerNorm(c["hidden"], eps=1e-5)
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        self.lm_head.weight = self.wte.weight  # tied

    def forward(self, input_ids):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        past_length = 0
        position_ids = torch.arange(past_length, input_shape[-1] + past_length, dtype=torch.long,
                                    device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).view(-1, input_shape[-1])

        inputs_embeds = self.wte(input_ids)
        position_embeds = self.wpe(position_ids)
        hidden_states = inputs_embeds + position_embeds
        hidden_states = self.drop(hidden_states)
        output_shape = input_shape + (hidden_states.size(-1),)
        for block in self.h:
            hidden_states = block(hidden_states)
        hidden_states = self.ln_f(hidden_states)
        hidden_states = hidden_states.view(output_shape)
        return self.lm_head(hidden_states)


# ---------------------------------------------------------------------------
# ViT (HuggingFace ViTForImageClassification)
# ---------------------------------------------------------------------------
class ViTPatchEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_patches = (c["image"] // c["patch"]) ** 2
        self.projection = nn.Conv2d(c["channels"], c["hidden"], kernel_size=c["patch"], stride=c["patch"])

    def forward(self, pixel_values):
        return self.projection(pixel_values).flatten(2).transpose(1, 2)


class ViTEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, c["hidden"]))
        self.patch_embeddings = ViTPatchEmbeddings(c)
        num_patches = self.patch_embeddings.num_patches
        self.position_embeddings = nn.Parameter(torch.randn(1, num_patches + 1, c["hidden"]))
        self.dropout = nn.Dropout(0.0)

    def forward(self, pixel_values):
        batch_size = pixel_values.shape[0]
        embeddings = self.patch_embeddings(pixel_values)
        cls_tokens = self.cls_token.expand(batch_size, -1, -1)
        embeddings = torch.cat((cls_tokens, embeddings), dim=1)
        embeddings = embeddings + self.position_embeddings
        return self.dropout(embeddings)


class ViTLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layernorm_before = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.attention = BertSelfAttention(c)  # ViTSelfAttention is the same code
        self.attention_output = nn.Linear(c["hidden"], c["hidden"])
        self.layernorm_after = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.intermediate = nn.Linear(c["hidden"], c["mlp"])
        self.output = nn.Linear(c["mlp"], c["hidden"])

    def forward(self, hidden_states):
        attention_output = self.attention_output(self.attention(self.layernorm_before(hidden_states)))
        hidden_states = attention_output + hidden_states
        layer_output = self.layernorm_after(hidden_states)
        layer_output = F.gelu(self.intermediate(layer_output))
        layer_output = self.output(layer_output)
        return layer_output + hidden_states


class ViTForImageClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = ViTEmbeddings(c)
        self.layer = nn.ModuleList([ViTLayer(c) for _ in range(c["layers"])])
        self.layernorm = nn.LayerNorm(c["hidden"], eps=1e-12)
        self.classifier = nn.Linear(c["hidden"], c["classes"])

    def forward(self, pixel_values):
        hidden_states = self.embeddings(pixel_values)
        for layer_module in self.layer:
            hidden_states = layer_module(hidden_states)
        sequence_output = self.layernorm(hidden_states)
        return self.classifier(sequence_output[:, 0, :])


# ---------------------------------------------------------------------------
# torch.nn.TransformerEncoder (sequence-first)
# ---------------------------------------------------------------------------
class TorchEncoder(nn.Module):
    """Linear input projection + torch.nn.TransformerEncoder.

    src_key_padding_mask: exported as a second input (bool [batch, seq], True =
    padding) -- it traces cleanly in torch 1.13 because with batch_first=False
    neither TransformerEncoderLayer nor MultiheadAttention takes the fused
    "fast path", so the Python F.multi_head_attention_forward is traced; the
    bool mask becomes a float additive mask of 0 / -inf (Where / masked_fill)
    folded into the scores with an Add.
    """

    def __init__(self, c, norm_first):
        super().__init__()
        self.proj = nn.Linear(c["in_features"], c["d_model"])
        layer = nn.TransformerEncoderLayer(
            d_model=c["d_model"], nhead=c["heads"], dim_feedforward=c["ffn"], dropout=0.0,
            batch_first=False, norm_first=norm_first,
        )
        # Pre-LN stacks get a final LayerNorm (as real code does); post-LN ones do not.
        norm = nn.LayerNorm(c["d_model"]) if norm_first else None
        self.encoder = nn.TransformerEncoder(layer, num_layers=c["layers"], norm=norm,
                                             enable_nested_tensor=False)
        # TransformerEncoder deep-copies `layer`, so every layer starts with the
        # same weights; re-initialise each one so the layers differ (as trained
        # weights would, and so the exporter does not dedupe them into Identity).
        for lyr in self.encoder.layers:
            for mod in lyr.modules():
                if isinstance(mod, nn.MultiheadAttention):
                    mod._reset_parameters()
                elif hasattr(mod, "reset_parameters"):
                    mod.reset_parameters()

    def forward(self, src, src_key_padding_mask):
        return self.encoder(self.proj(src), src_key_padding_mask=src_key_padding_mask)


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------
def randomize(model):
    """Make weights non-trivial: LayerNorm scale/shift != 1/0, biases != 0,
    HF-style tiny inits (std 0.02) widened so attention is not uniform."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.empty_like(m.weight).uniform_(0.6, 1.4))
                m.bias.copy_(torch.randn_like(m.bias) * 0.1)
            elif isinstance(m, Conv1D):
                nx = m.weight.shape[0]
                m.weight.copy_(torch.randn_like(m.weight) * (1.5 / math.sqrt(nx)))
            elif isinstance(m, BertSelfAttention):
                # Default nn.Linear init gives near-uniform attention; sharpen it so
                # the fixtures are sensitive to mask / head-layout mistakes.
                m.query.weight.mul_(3.0)
                m.key.weight.mul_(3.0)
            elif isinstance(m, nn.MultiheadAttention):
                d = m.embed_dim
                m.in_proj_weight[: 2 * d].mul_(3.0)
        for name, p in model.named_parameters():
            if name.endswith("bias") or name.endswith("in_proj_bias"):
                p.copy_(torch.randn_like(p) * 0.1)
        # BERT's padding_idx row is zero by construction; keep it (real checkpoints do too).
    return model


# ---------------------------------------------------------------------------
# Model specs: constructor, inputs, outputs, dynamic axes, cases
# ---------------------------------------------------------------------------
def rng_for(*parts):
    return np.random.default_rng(zlib.crc32("/".join(str(p) for p in parts).encode()))


def text_cases(with_padded):
    cases = [("b1_s7", 1, 7), ("b3_s17", 3, 17), ("b1_s128", 1, 128)]
    out = [(n, b, s, False) for n, b, s in cases]
    if with_padded:
        out.append(("b3_s17_padded", 3, 17, True))
    return out


def trailing_pad_lengths(batch, seq):
    """Row 0 unpadded; the other rows get trailing padding of different lengths."""
    lens = [seq]
    for i in range(1, batch):
        lens.append(max(1, seq - (6 * i + i % 2)))
    return lens


def make_specs(variant):
    cfg = VARIANTS[variant]
    specs = {}

    bc = cfg["bert"]

    def bert_inputs(case, b, s, padded):
        r = rng_for(variant, "bert", case)
        ids = r.integers(0, bc["vocab"], size=(b, s), dtype=np.int64)
        mask = np.ones((b, s), dtype=np.int64)
        if padded:
            for i, n in enumerate(trailing_pad_lengths(b, s)):
                mask[i, n:] = 0
        return {"input_ids": ids, "attention_mask": mask}

    specs["bert"] = dict(
        build=lambda: BertModel(bc),
        inputs=["input_ids", "attention_mask"],
        outputs=["last_hidden_state"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                      "last_hidden_state": {0: "batch", 1: "seq"}},
        trace=bert_inputs("trace", 2, 5, False),
        cases=[(n, bert_inputs(n, b, s, p)) for n, b, s, p in text_cases(True)],
        config=bc,
    )

    gc = cfg["gpt2"]

    def gpt2_inputs(case, b, s):
        r = rng_for(variant, "gpt2", case)
        return {"input_ids": r.integers(0, gc["vocab"], size=(b, s), dtype=np.int64)}

    specs["gpt2"] = dict(
        build=lambda: GPT2LMHeadModel(gc),
        inputs=["input_ids"],
        outputs=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}},
        trace=gpt2_inputs("trace", 2, 5),
        cases=[(n, gpt2_inputs(n, b, s)) for n, b, s, _ in text_cases(False)],
        config=gc,
    )

    vc = cfg["vit"]

    def vit_inputs(case, b):
        r = rng_for(variant, "vit", case)
        x = r.standard_normal((b, vc["channels"], vc["image"], vc["image"])).astype(np.float32)
        return {"pixel_values": x}

    specs["vit"] = dict(
        build=lambda: ViTForImageClassification(vc),
        inputs=["pixel_values"],
        outputs=["logits"],
        dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
        trace=vit_inputs("trace", 2),
        cases=[("b1", vit_inputs("b1", 1)), ("b3", vit_inputs("b3", 3))],
        config=vc,
    )

    tc = cfg["tenc"]
    for name, norm_first in (("tenc_post", False), ("tenc_pre", True)):
        def tenc_inputs(case, s, b, padded, name=name):
            r = rng_for(variant, name, case)
            src = r.standard_normal((s, b, tc["in_features"])).astype(np.float32)
            mask = np.zeros((b, s), dtype=np.bool_)
            if padded:
                for i, n in enumerate(trailing_pad_lengths(b, s)):
                    mask[i, n:] = True
            return {"src": src, "src_key_padding_mask": mask}

        specs[name] = dict(
            build=(lambda nf: (lambda: TorchEncoder(tc, nf)))(norm_first),
            inputs=["src", "src_key_padding_mask"],
            outputs=["out"],
            dynamic_axes={"src": {0: "seq", 1: "batch"}, "src_key_padding_mask": {0: "batch", 1: "seq"},
                          "out": {0: "seq", 1: "batch"}},
            trace=tenc_inputs("trace", 5, 2, True),
            cases=[("s7_b1", tenc_inputs("s7_b1", 7, 1, False)),
                   ("s17_b3", tenc_inputs("s17_b3", 17, 3, False)),
                   ("s17_b3_padded", tenc_inputs("s17_b3_padded", 17, 3, True))],
            config=dict(tc, norm_first=norm_first),
        )
    return specs


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------
def to_torch(arrays, names):
    return tuple(torch.from_numpy(arrays[n]) for n in names)


def export(model, spec, path, opset):
    args = to_torch(spec["trace"], spec["inputs"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(
            model, args, path,
            input_names=spec["inputs"], output_names=spec["outputs"],
            dynamic_axes=spec["dynamic_axes"], opset_version=opset,
            do_constant_folding=True, export_params=True,
        )
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught})
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return m, msgs


def op_histogram(m):
    return collections.Counter(n.op_type for n in m.graph.node)


def shape_of(vi):
    dims = []
    for d in vi.type.tensor_type.shape.dim:
        dims.append(d.dim_param if d.dim_param else d.dim_value)
    return dims


DTYPE_NAMES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT64: "int64",
               onnx.TensorProto.BOOL: "bool", onnx.TensorProto.INT32: "int32"}


def io_desc(vis):
    return [{"name": v.name, "dtype": DTYPE_NAMES.get(v.type.tensor_type.elem_type, str(v.type.tensor_type.elem_type)),
             "shape": shape_of(v)} for v in vis]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="small",
                    help="model sizes (default: small, the checked-in fixtures)")
    ap.add_argument("--out", default=None,
                    help="output directory (default: fixtures/ in the repo for the small variant; "
                         "required for other variants)")
    ap.add_argument("--examples", default=None,
                    help="where to write tiny-bert.onnx + inputs (default: examples/ in the repo "
                         "on a default run; not written when --out is given unless this is set)")
    ap.add_argument("--models", default=None,
                    help="comma-separated subset of: " + ",".join(MODEL_SEEDS))
    ap.add_argument("--clean", action="store_true", help="delete <out>/models and <out>/data first")
    args = ap.parse_args()

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.out is None:
        if args.variant != "small":
            ap.error("--out DIR is required with --variant " + args.variant)
        out = os.path.join(repo, "fixtures")
        examples_dir = args.examples or os.path.join(repo, "examples")
    else:
        out = os.path.abspath(args.out)
        examples_dir = args.examples
    names = list(MODEL_SEEDS) if args.models is None else args.models.split(",")
    for n in names:
        if n not in MODEL_SEEDS:
            ap.error(f"unknown model {n!r}")

    models_dir = os.path.join(out, "models")
    data_dir = os.path.join(out, "data")
    if args.clean:
        shutil.rmtree(models_dir, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    os.makedirs(models_dir, exist_ok=True)
    os.makedirs(data_dir, exist_ok=True)

    torch.set_num_threads(1)  # deterministic float32 reductions
    specs = make_specs(args.variant)
    manifest = {"variant": args.variant, "torch": torch.__version__, "onnx": onnx.__version__,
                "opsets": list(OPSETS), "models": {}}
    summary = []
    problems = []

    for name in names:
        spec = specs[name]
        torch.manual_seed(MODEL_SEEDS[name] + VARIANT_SEED_OFFSET[args.variant])
        model = randomize(spec["build"]()).eval()
        entry = {"config": spec["config"], "files": {}, "ops": {}, "cases": {}, "export_warnings": {}}

        for opset in OPSETS:
            fname = f"{name}-opset{opset}.onnx"
            path = os.path.join(models_dir, fname)
            m, msgs = export(model, spec, path, opset)
            hist = op_histogram(m)
            entry["files"][str(opset)] = f"models/{fname}"
            entry["ops"][str(opset)] = dict(sorted(hist.items()))
            entry["inputs"] = io_desc(m.graph.input)
            entry["outputs"] = io_desc(m.graph.output)
            if msgs:
                entry["export_warnings"][str(opset)] = msgs
            if [i.name for i in m.graph.input] != spec["inputs"]:
                problems.append(f"{fname}: graph inputs {[i.name for i in m.graph.input]} != {spec['inputs']}")
            summary.append((name, opset, os.path.getsize(path), len(m.graph.node), hist))

        with torch.no_grad():
            for case, arrays in spec["cases"]:
                cdir = os.path.join(data_dir, name, case)
                os.makedirs(cdir, exist_ok=True)
                for iname in spec["inputs"]:
                    np.save(os.path.join(cdir, iname + ".npy"), arrays[iname])
                res = model(*to_torch(arrays, spec["inputs"]))
                res = res if isinstance(res, (tuple, list)) else (res,)
                shapes = {}
                for oname, t in zip(spec["outputs"], res):
                    a = t.detach().to(torch.float32).numpy()
                    if not np.all(np.isfinite(a)):
                        problems.append(f"{name}/{case}/{oname}: non-finite values")
                    np.save(os.path.join(cdir, oname + ".npy"), a)
                    shapes[oname] = list(a.shape)
                entry["cases"][case] = {"inputs": {k: list(arrays[k].shape) for k in spec["inputs"]},
                                        "outputs": shapes}
        manifest["models"][name] = entry

        if name == "bert" and examples_dir:
            os.makedirs(examples_dir, exist_ok=True)
            shutil.copyfile(os.path.join(models_dir, "bert-opset17.onnx"),
                            os.path.join(examples_dir, "tiny-bert.onnx"))
            r = rng_for(args.variant, "bert", "example")
            np.save(os.path.join(examples_dir, "input_ids.npy"),
                    r.integers(0, spec["config"]["vocab"], size=(1, 8), dtype=np.int64))
            np.save(os.path.join(examples_dir, "attention_mask.npy"), np.ones((1, 8), dtype=np.int64))

    man_path = os.path.join(out, "manifest.json")
    if args.models is not None and os.path.exists(man_path):
        with open(man_path) as f:
            old = json.load(f)
        if old.get("variant") == args.variant:
            old["models"].update(manifest["models"])
            manifest["models"] = old["models"]
    with open(man_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")

    # ---- summary ------------------------------------------------------------
    print(f"\nxfc fixtures: variant={args.variant} out={out}")
    print(f"torch {torch.__version__}  onnx {onnx.__version__}")
    for name, opset, size, nnodes, hist in summary:
        print(f"\n{name}-opset{opset}.onnx  {size/1024:.1f} KiB  {nnodes} nodes")
        print("  " + ", ".join(f"{op}:{c}" for op, c in sorted(hist.items())))
        w = manifest["models"][name]["export_warnings"].get(str(opset))
        if w:
            for msg in w:
                print(f"  warning: {msg}")
    total = 0
    for root, _, files in os.walk(out):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    print(f"\ntotal size of {out}: {total/1024:.1f} KiB")
    if problems:
        print("\nPROBLEMS:")
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
