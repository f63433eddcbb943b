#!/usr/bin/python3
"""Export a zoo of small transformers written in other people's coding styles, to test xfc on unseen exports.

Run with Debian's python (torch 1.13, onnx 1.12, numpy):

    /usr/bin/python3 scripts/export_zoo.py [--out /tmp/xfc-zoo] [--models nanogpt,t5] [--opsets 13,14,17]
    npx tsx scripts/check-models.ts /tmp/xfc-zoo

It writes the layout of fixtures/ (see scripts/export_fixtures.py):
    DIR/models/<model>-opset<N>.onnx         (N = 13, 14, 17; dynamic batch/seq axes)
    DIR/data/<model>/<case>/<name>.npy       (inputs named as the ONNX inputs, PyTorch float32 outputs)

Unlike the fixtures (HuggingFace BERT/GPT-2/ViT, nn.TransformerEncoder), each model here copies the idioms of
a different real-world codebase: nanoGPT (tril buffer + masked_fill(-inf), split of a fused c_attn, weight
tying, GELU(tanh)), minGPT (tril computed in forward -> Trilu), DistilBERT (q / sqrt(d), finfo.min
masked_fill), RoBERTa (position ids by cumsum), nn.MultiheadAttention(batch_first) with key_padding_mask, T5
(hand-written RMSNorm, bucketed relative bias), einsum attention with rotary embeddings, LLaMA (RMSNorm,
rotate_half, SwiGLU, grouped KV heads, triu(-inf) mask), timm ViT (flatten(2).transpose, cat of a class token,
F.layer_norm, F.pad reflect/constant/replicate), fairseq (bmm on (B*H, T, D) heads, chunk, softmax(dtype=float32)),
OPT (HF causal + expanded masks, cumsum positions), BLOOM (ALiBi from cumsum, baddbmm, slice-assigned causal mask),
Conformer (GLU, depthwise Conv1d, BatchNorm1d, SiLU, key_padding_mask from lengths), CLIP text (triu_ mask
buffer, QuickGELU, attn_mask, pooling by x[arange(B), text.argmax(-1)]).
An export that fails in torch is reported, not fatal. Generated files are not committed.
"""

import argparse
import collections
import math
import os
import shutil
import sys
import traceback
import warnings
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSETS = (13, 14, 17)
VOCAB = 61
MAX_POS = 64


# ---------------------------------------------------------------------------
# nanoGPT (karpathy/nanoGPT model.py)
# ---------------------------------------------------------------------------
class NanoLayerNorm(nn.Module):
    """LayerNorm with an optional bias (PyTorch's nn.LayerNorm has no bias=False before 2.1)."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class NanoCausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, bias):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)
        self.n_head = n_head
        self.n_embd = n_embd
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class NanoMLP(nn.Module):
    def __init__(self, n_embd, bias):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class NanoBlock(nn.Module):
    def __init__(self, n_embd, n_head, block_size, bias):
        super().__init__()
        self.ln_1 = NanoLayerNorm(n_embd, bias)
        self.attn = NanoCausalSelfAttention(n_embd, n_head, block_size, bias)
        self.ln_2 = NanoLayerNorm(n_embd, bias)
        self.mlp = NanoMLP(n_embd, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class NanoGPT(nn.Module):
    def __init__(self, n_embd=32, n_head=4, n_layer=2, block_size=MAX_POS, bias=False):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(VOCAB, n_embd),
            wpe=nn.Embedding(block_size, n_embd),
            drop=nn.Dropout(0.1),
            h=nn.ModuleList([NanoBlock(n_embd, n_head, block_size, bias) for _ in range(n_layer)]),
            ln_f=NanoLayerNorm(n_embd, bias),
        ))
        self.lm_head = nn.Linear(n_embd, VOCAB, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx):
        device = idx.device
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        last_logits = self.lm_head(x[:, [-1], :])  # the inference path of nanoGPT's forward
        return logits, last_logits


# ---------------------------------------------------------------------------
# minGPT (old karpathy/minGPT style: separate q/k/v, learned pos_emb parameter, NewGELU by hand,
# causal mask built in forward with torch.tril -> Trilu)
# ---------------------------------------------------------------------------
class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class MinSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.key = nn.Linear(n_embd, n_embd)
        self.query = nn.Linear(n_embd, n_embd)
        self.value = nn.Linear(n_embd, n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head

    def forward(self, x):
        B, T, C = x.size()
        k = self.key(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = self.query(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = self.value(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.tril(torch.ones(T, T, device=x.device)).view(1, 1, T, T)
        att = att.masked_fill(mask == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class MinBlock(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)
        self.attn = MinSelfAttention(n_embd, n_head)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), NewGELU(), nn.Linear(4 * n_embd, n_embd), nn.Dropout(0.1))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class MinGPT(nn.Module):
    def __init__(self, n_embd=24, n_head=3, n_layer=2):
        super().__init__()
        self.tok_emb = nn.Embedding(VOCAB, n_embd)
        self.pos_emb = nn.Parameter(torch.randn(1, MAX_POS, n_embd) * 0.5)
        self.blocks = nn.Sequential(*[MinBlock(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, VOCAB, bias=False)

    def forward(self, idx):
        b, t = idx.size()
        x = self.tok_emb(idx) + self.pos_emb[:, :t, :]
        x = self.blocks(x)
        return self.head(self.ln_f(x))


# ---------------------------------------------------------------------------
# DistilBERT (HF modeling_distilbert: q / sqrt(dim_per_head), masked_fill(finfo.min), arange position ids)
# ---------------------------------------------------------------------------
class DistilMHSA(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.dim = dim
        self.q_lin = nn.Linear(dim, dim)
        self.k_lin = nn.Linear(dim, dim)
        self.v_lin = nn.Linear(dim, dim)
        self.out_lin = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(0.1)

    def forward(self, query, key, value, mask):
        bs, q_length, dim = query.size()
        k_length = key.size(1)
        dim_per_head = self.dim // self.n_heads
        mask_reshp = (bs, 1, 1, k_length)

        def shape(x):
            return x.view(bs, -1, self.n_heads, dim_per_head).transpose(1, 2)

        def unshape(x):
            return x.transpose(1, 2).contiguous().view(bs, -1, self.n_heads * dim_per_head)

        q = shape(self.q_lin(query))
        k = shape(self.k_lin(key))
        v = shape(self.v_lin(value))
        q = q / math.sqrt(dim_per_head)
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (mask == 0).view(mask_reshp).expand_as(scores)
        scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
        weights = nn.functional.softmax(scores, dim=-1)
        weights = self.dropout(weights)
        context = torch.matmul(weights, v)
        return self.out_lin(unshape(context))


class DistilTransformerBlock(nn.Module):
    def __init__(self, dim, n_heads, hidden_dim):
        super().__init__()
        self.attention = DistilMHSA(dim, n_heads)
        self.sa_layer_norm = nn.LayerNorm(dim, eps=1e-12)
        self.lin1 = nn.Linear(dim, hidden_dim)
        self.lin2 = nn.Linear(hidden_dim, dim)
        self.activation = nn.GELU()
        self.output_layer_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, attn_mask):
        sa_output = self.attention(x, x, x, attn_mask)
        sa_output = self.sa_layer_norm(sa_output + x)
        ffn_output = self.lin2(self.activation(self.lin1(sa_output)))
        return self.output_layer_norm(ffn_output + sa_output)


class DistilBert(nn.Module):
    def __init__(self, dim=32, n_heads=2, hidden_dim=48, n_layers=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, dim, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_POS, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)
        self.layer = nn.ModuleList([DistilTransformerBlock(dim, n_heads, hidden_dim) for _ in range(n_layers)])

    def forward(self, input_ids, attention_mask):
        seq_length = input_ids.size(1)
        position_ids = torch.arange(seq_length, dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).expand_as(input_ids)
        x = self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(position_ids))
        for layer in self.layer:
            x = layer(x, attention_mask)
        return x


# ---------------------------------------------------------------------------
# RoBERTa (HF modeling_roberta: position ids from cumsum of the non-pad mask, padding_idx = 1,
# (1 - mask) * finfo.min extended mask, token type ids from a zeros buffer)
# ---------------------------------------------------------------------------
def create_position_ids_from_input_ids(input_ids, padding_idx, past_key_values_length=0):
    mask = input_ids.ne(padding_idx).int()
    incremental_indices = (torch.cumsum(mask, dim=1).type_as(mask) + past_key_values_length) * mask
    return incremental_indices.long() + padding_idx


class RobertaLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.h = heads
        self.d = hidden // heads
        self.qkv = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(3)])
        self.dense = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-5)
        self.inter = nn.Linear(hidden, ffn)
        self.out = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, x, ext_mask):
        b, s, _ = x.shape
        q, k, v = [lin(x).view(b, s, self.h, self.d).permute(0, 2, 1, 3) for lin in self.qkv]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d)
        scores = scores + ext_mask
        probs = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (self.h * self.d,))
        x = self.ln1(self.dense(ctx) + x)
        return self.ln2(self.out(F.gelu(self.inter(x))) + x)


class Roberta(nn.Module):
    padding_idx = 1

    def __init__(self, hidden=32, heads=4, ffn=64, layers=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, hidden, padding_idx=self.padding_idx)
        self.position_embeddings = nn.Embedding(MAX_POS + 2, hidden, padding_idx=self.padding_idx)
        self.token_type_embeddings = nn.Embedding(1, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-5)
        self.register_buffer("token_type_ids", torch.zeros((1, MAX_POS), dtype=torch.long), persistent=False)
        self.layers = nn.ModuleList([RobertaLayer(hidden, heads, ffn) for _ in range(layers)])

    def forward(self, input_ids, attention_mask):
        position_ids = create_position_ids_from_input_ids(input_ids, self.padding_idx)
        b, s = input_ids.size()
        token_type_ids = self.token_type_ids[:, :s].expand(b, s)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        x = self.LayerNorm(x + self.position_embeddings(position_ids))
        dtype = x.dtype
        ext = attention_mask[:, None, None, :].to(dtype=dtype)
        ext = (1.0 - ext) * torch.finfo(dtype).min
        for layer in self.layers:
            x = layer(x, ext)
        return x


# ---------------------------------------------------------------------------
# nn.MultiheadAttention(batch_first=True) with key_padding_mask and need_weights=False, and an
# nn.TransformerEncoderLayer(batch_first=True, norm_first=True, activation="gelu")
# ---------------------------------------------------------------------------
class MhaBlock(nn.Module):
    def __init__(self, d=32, heads=4):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, d)
        self.ln = nn.LayerNorm(d)
        self.mha = nn.MultiheadAttention(d, heads, dropout=0.1, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.ReLU(), nn.Linear(2 * d, d))
        self.enc = nn.TransformerEncoderLayer(d, heads, dim_feedforward=48, dropout=0.1, activation="gelu",
                                              batch_first=True, norm_first=True)

    def forward(self, input_ids, key_padding_mask):
        x = self.emb(input_ids)
        h = self.ln(x)
        a, _ = self.mha(h, h, h, key_padding_mask=key_padding_mask, need_weights=False)
        x = x + a
        x = x + self.ff(x)
        return self.enc(x, src_key_padding_mask=key_padding_mask)


# ---------------------------------------------------------------------------
# T5 (HF modeling_t5 encoder: RMSNorm by hand, bucketed relative position bias added to unscaled scores,
# gated-GELU feed-forward, finfo.min additive mask)
# ---------------------------------------------------------------------------
class T5LayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states


class T5Attention(nn.Module):
    def __init__(self, d_model, n_heads, d_kv, has_relative_attention_bias, num_buckets=8, max_distance=20):
        super().__init__()
        self.n_heads = n_heads
        self.key_value_proj_dim = d_kv
        self.inner_dim = n_heads * d_kv
        self.q = nn.Linear(d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, d_model, bias=False)
        self.has_relative_attention_bias = has_relative_attention_bias
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(num_buckets, n_heads)

    @staticmethod
    def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
        relative_buckets = 0
        if bidirectional:
            num_buckets //= 2
            relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
            relative_position = torch.abs(relative_position)
        else:
            relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
        max_exact = num_buckets // 2
        is_small = relative_position < max_exact
        relative_position_if_large = max_exact + (
            torch.log(relative_position.float() / max_exact)
            / math.log(max_distance / max_exact)
            * (num_buckets - max_exact)
        ).to(torch.long)
        relative_position_if_large = torch.min(
            relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
        )
        relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
        return relative_buckets

    def compute_bias(self, query_length, key_length, device=None):
        context_position = torch.arange(query_length, dtype=torch.long, device=device)[:, None]
        memory_position = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        relative_position = memory_position - context_position
        relative_position_bucket = self._relative_position_bucket(
            relative_position, bidirectional=True, num_buckets=self.num_buckets, max_distance=self.max_distance)
        values = self.relative_attention_bias(relative_position_bucket)
        return values.permute([2, 0, 1]).unsqueeze(0)

    def forward(self, hidden_states, mask, position_bias=None):
        batch_size, seq_length = hidden_states.shape[:2]

        def shape(states):
            return states.view(batch_size, -1, self.n_heads, self.key_value_proj_dim).transpose(1, 2)

        def unshape(states):
            return states.transpose(1, 2).contiguous().view(batch_size, -1, self.inner_dim)

        query_states = shape(self.q(hidden_states))
        key_states = shape(self.k(hidden_states))
        value_states = shape(self.v(hidden_states))
        scores = torch.matmul(query_states, key_states.transpose(3, 2))
        if position_bias is None:
            position_bias = self.compute_bias(seq_length, seq_length, device=scores.device)
            position_bias = position_bias + mask
        scores += position_bias
        attn_weights = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        attn_output = unshape(torch.matmul(attn_weights, value_states))
        return self.o(attn_output), position_bias


class T5Block(nn.Module):
    def __init__(self, d_model, n_heads, d_kv, d_ff, has_bias):
        super().__init__()
        self.ln0 = T5LayerNorm(d_model)
        self.attn = T5Attention(d_model, n_heads, d_kv, has_bias)
        self.ln1 = T5LayerNorm(d_model)
        self.wi_0 = nn.Linear(d_model, d_ff, bias=False)
        self.wi_1 = nn.Linear(d_model, d_ff, bias=False)
        self.wo = nn.Linear(d_ff, d_model, bias=False)
        self.act = nn.GELU(approximate="tanh")

    def forward(self, x, mask, position_bias):
        a, position_bias = self.attn(self.ln0(x), mask, position_bias)
        x = x + a
        h = self.ln1(x)
        x = x + self.wo(self.act(self.wi_0(h)) * self.wi_1(h))
        return x, position_bias


class T5Encoder(nn.Module):
    def __init__(self, d_model=32, n_heads=4, d_kv=6, d_ff=40, n_layers=2):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d_model)
        self.block = nn.ModuleList([T5Block(d_model, n_heads, d_kv, d_ff, i == 0) for i in range(n_layers)])
        self.final_layer_norm = T5LayerNorm(d_model)

    def forward(self, input_ids, attention_mask):
        x = self.embed_tokens(input_ids)
        dtype = x.dtype
        ext = attention_mask[:, None, None, :].to(dtype=dtype)
        ext = (1.0 - ext) * torch.finfo(dtype).min
        position_bias = None
        for blk in self.block:
            x, position_bias = blk(x, ext, position_bias)
        return self.final_layer_norm(x) * (32 ** -0.5)


# ---------------------------------------------------------------------------
# Einsum attention with rotary embeddings (lucidrains / GPT-J style): projections with 3-D weights,
# 'bhqd,bhkd->bhqk', outer product 'i,j->ij' for the rotary angles, a triu(diagonal=1) bool mask buffer
# ---------------------------------------------------------------------------
def rotate_every_two(x):
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    x = torch.stack((-x2, x1), dim=-1)
    return x.flatten(-2)


class EinsumAttention(nn.Module):
    def __init__(self, d=32, heads=4, dh=8):
        super().__init__()
        self.heads = heads
        self.dh = dh
        self.wq = nn.Parameter(torch.randn(heads, d, dh) * (1.5 / math.sqrt(d)))
        self.wk = nn.Parameter(torch.randn(heads, d, dh) * (1.5 / math.sqrt(d)))
        self.wv = nn.Parameter(torch.randn(heads, d, dh) * (1.0 / math.sqrt(d)))
        self.wo = nn.Parameter(torch.randn(heads, dh, d) * (1.0 / math.sqrt(dh * heads)))
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dh, 2).float() / dh)))
        self.register_buffer("causal", torch.ones((MAX_POS, MAX_POS), dtype=torch.bool).triu(1))

    def forward(self, x):
        b, n, _ = x.shape
        q = torch.einsum("bnd,hde->bhne", x, self.wq)
        k = torch.einsum("bnd,hde->bhne", x, self.wk)
        v = torch.einsum("bnd,hde->bhne", x, self.wv)
        t = torch.arange(n, device=x.device).type_as(self.inv_freq)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq)
        # repeat_interleave(2, dim=-1) would be the usual spelling, but torch 1.13 exports it as a Loop over
        # sequences; stack + flatten is the same interleave
        sin = torch.stack((freqs.sin(), freqs.sin()), dim=-1).flatten(-2)
        cos = torch.stack((freqs.cos(), freqs.cos()), dim=-1).flatten(-2)
        q = q * cos + rotate_every_two(q) * sin
        k = k * cos + rotate_every_two(k) * sin
        sim = torch.einsum("bhqd,bhkd->bhqk", q, k) * self.dh ** -0.5
        causal = self.causal[:n, :n]
        sim = sim.masked_fill(causal, -torch.finfo(sim.dtype).max)
        attn = sim.softmax(dim=-1)
        out = torch.einsum("bhqk,bhkd->bhqd", attn, v)
        return torch.einsum("bhnd,hde->bne", out, self.wo)


class EinsumGPT(nn.Module):
    def __init__(self, d=32, layers=2):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, d)
        self.layers = nn.ModuleList([nn.ModuleList([nn.LayerNorm(d), EinsumAttention(d), nn.LayerNorm(d),
                                                    nn.Linear(d, 2 * d), nn.Linear(2 * d, d)])
                                     for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.to_logits = nn.Linear(d, VOCAB)

    def forward(self, input_ids):
        x = self.emb(input_ids)
        for ln1, attn, ln2, up, down in self.layers:
            x = x + attn(ln1(x))
            x = x + down(F.gelu(up(ln2(x))))
        return self.to_logits(self.norm(x))


# ---------------------------------------------------------------------------
# LLaMA (meta llama model.py / HF modeling_llama: RMSNorm with .float() / type_as, rotate_half with cat of
# halves, SwiGLU, grouped-query attention with repeat_kv, full(-inf).triu(1) additive causal mask)
# ---------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        return self._norm(x.float()).type_as(x) * self.weight


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads):
        super().__init__()
        self.n_heads = n_heads
        self.n_kv_heads = n_kv_heads
        self.head_dim = dim // n_heads
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)

    def forward(self, x, cos, sin, mask):
        bsz, seqlen, _ = x.shape
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim).transpose(1, 2)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim).transpose(1, 2)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim).transpose(1, 2)
        xq = (xq * cos) + (rotate_half(xq) * sin)
        xk = (xk * cos) + (rotate_half(xk) * sin)
        keys = repeat_kv(xk, self.n_heads // self.n_kv_heads)
        values = repeat_kv(xv, self.n_heads // self.n_kv_heads)
        scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        scores = scores + mask
        scores = F.softmax(scores.float(), dim=-1).type_as(xq)
        output = torch.matmul(scores, values)
        output = output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.wo(output)


class LlamaBlock(nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads, hidden):
        super().__init__()
        self.attention = LlamaAttention(dim, n_heads, n_kv_heads)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.attention_norm = RMSNorm(dim)
        self.ffn_norm = RMSNorm(dim)

    def forward(self, x, cos, sin, mask):
        h = x + self.attention(self.attention_norm(x), cos, sin, mask)
        f = self.ffn_norm(h)
        return h + self.w2(F.silu(self.w1(f)) * self.w3(f))


class Llama(nn.Module):
    def __init__(self, dim=32, n_heads=4, n_kv_heads=2, hidden=48, layers=2):
        super().__init__()
        self.tok_embeddings = nn.Embedding(VOCAB, dim)
        self.layers = nn.ModuleList([LlamaBlock(dim, n_heads, n_kv_heads, hidden) for _ in range(layers)])
        self.norm = RMSNorm(dim)
        self.output = nn.Linear(dim, VOCAB, bias=False)
        head_dim = dim // n_heads
        inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, tokens):
        _bsz, seqlen = tokens.shape
        h = self.tok_embeddings(tokens)
        t = torch.arange(seqlen, device=tokens.device, dtype=self.inv_freq.dtype)
        freqs = torch.outer(t, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None, :, :], emb.sin()[None, None, :, :]
        mask = torch.full((seqlen, seqlen), float("-inf"), device=tokens.device)
        mask = torch.triu(mask, diagonal=1)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.output(self.norm(h)).float()


# ---------------------------------------------------------------------------
# timm-style ViT: Conv2d patch embed, x.flatten(2).transpose(1, 2), cat of an expanded class token,
# fused qkv reshape(B, N, 3, H, D).permute(2, 0, 3, 1, 4) + unbind, F.layer_norm, plus F.pad: a reflect-padded
# stem, a constant pad of the image to a patch multiple computed from its size, and an edge (replicate) pad.
# ---------------------------------------------------------------------------
class TimmAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class FunctionalLN(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.eps = eps
        self.dim = dim

    def forward(self, x):
        return F.layer_norm(x, (self.dim,), self.weight, self.bias, self.eps)


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = FunctionalLN(dim)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = FunctionalLN(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class TimmViT(nn.Module):
    def __init__(self, image=20, channels=3, patch=8, dim=24, heads=2, mlp=40, layers=2, classes=7):
        super().__init__()
        self.patch = patch
        self.stem = nn.Conv2d(channels, channels, kernel_size=3)
        self.patch_embed = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)
        n = ((image + patch - 1) // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.5)
        self.blocks = nn.Sequential(*[TimmBlock(dim, heads, mlp) for _ in range(layers)])
        self.norm = FunctionalLN(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.stem(F.pad(x, (1, 1, 1, 1), mode="reflect"))
        H, W = x.shape[-2:]
        pad_h = (self.patch - H % self.patch) % self.patch
        pad_w = (self.patch - W % self.patch) % self.patch
        x = F.pad(x, (0, pad_w, 0, pad_h))
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = F.pad(x, (1, 1), mode="replicate")[..., 1:-1]  # an edge pad that changes nothing
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = x + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        return self.head(x[:, 0])


# ---------------------------------------------------------------------------
# fairseq-style: (T, B, C) layout, fused in_proj + chunk(3, -1), heads folded into the batch for torch.bmm,
# key_padding_mask filled with -inf on a (B, H, T, S) view, softmax(dtype=float32), F.gelu (erf)
# ---------------------------------------------------------------------------
class FairseqMHA(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.scaling = self.head_dim ** -0.5
        self.in_proj = nn.Linear(embed_dim, 3 * embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, query, key_padding_mask):
        tgt_len, bsz, embed_dim = query.size()
        q, k, v = self.in_proj(query).chunk(3, dim=-1)
        q = q * self.scaling
        q = q.contiguous().view(tgt_len, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        k = k.contiguous().view(-1, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        v = v.contiguous().view(-1, bsz * self.num_heads, self.head_dim).transpose(0, 1)
        src_len = k.size(1)
        attn_weights = torch.bmm(q, k.transpose(1, 2))
        attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len)
        attn_weights = attn_weights.masked_fill(key_padding_mask.unsqueeze(1).unsqueeze(2).to(torch.bool), float("-inf"))
        attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)
        attn_weights_float = F.softmax(attn_weights, dim=-1, dtype=torch.float32)
        attn_probs = attn_weights_float.type_as(attn_weights)
        attn = torch.bmm(attn_probs, v)
        attn = attn.transpose(0, 1).contiguous().view(tgt_len, bsz, embed_dim)
        return self.out_proj(attn)


class FairseqLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.self_attn = FairseqMHA(d, heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, encoder_padding_mask):
        residual = x
        x = self.self_attn(x, encoder_padding_mask)
        x = self.self_attn_layer_norm(residual + x)
        residual = x
        x = self.fc2(F.gelu(self.fc1(x)))
        return self.final_layer_norm(residual + x)


class FairseqEncoder(nn.Module):
    padding_idx = 1

    def __init__(self, d=16, heads=2, ffn=40, layers=2):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d, padding_idx=self.padding_idx)
        self.embed_positions = nn.Embedding(MAX_POS, d)
        self.embed_scale = math.sqrt(d)
        self.layers = nn.ModuleList([FairseqLayer(d, heads, ffn) for _ in range(layers)])

    def forward(self, src_tokens):
        encoder_padding_mask = src_tokens.eq(self.padding_idx)
        positions = torch.arange(src_tokens.size(1), device=src_tokens.device).unsqueeze(0)
        x = self.embed_scale * self.embed_tokens(src_tokens) + self.embed_positions(positions)
        x = x * (1 - encoder_padding_mask.unsqueeze(-1).type_as(x))
        x = x.permute(1, 0, 2).contiguous()  # B x T x C -> T x B x C
        for layer in self.layers:
            x = layer(x, encoder_padding_mask)
        return x.transpose(0, 1)


# ---------------------------------------------------------------------------
# OPT / BART decoder (HF modeling_opt of 2022: _make_causal_mask with full(finfo.min) + masked_fill_ of
# arange < (arange + 1).view(n, 1), _expand_mask with 1 - mask and masked_fill(bool, finfo.min), learned
# positions from cumsum(attention_mask) with offset 2, q_proj(x) * scaling, heads as (B*H, T, D) for bmm)
# ---------------------------------------------------------------------------
def _make_causal_mask(input_ids_shape, dtype):
    bsz, tgt_len = input_ids_shape
    mask = torch.full((tgt_len, tgt_len), torch.tensor(torch.finfo(dtype).min))
    mask_cond = torch.arange(mask.size(-1))
    mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)
    mask = mask.to(dtype)
    return mask[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len)


def _expand_mask(mask, dtype, tgt_len=None):
    bsz, src_len = mask.size()
    tgt_len = tgt_len if tgt_len is not None else src_len
    expanded_mask = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted_mask = 1.0 - expanded_mask
    return inverted_mask.masked_fill(inverted_mask.to(torch.bool), torch.finfo(dtype).min)


class OPTLearnedPositionalEmbedding(nn.Embedding):
    def __init__(self, num_embeddings, embedding_dim):
        self.offset = 2
        super().__init__(num_embeddings + self.offset, embedding_dim)

    def forward(self, attention_mask):
        attention_mask = attention_mask.long()
        positions = (torch.cumsum(attention_mask, dim=1).type_as(attention_mask) * attention_mask).long() - 1
        return super().forward(positions + self.offset)


class OPTAttention(nn.Module):
    def __init__(self, embed_dim, num_heads):
        super().__init__()
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def _shape(self, tensor, seq_len, bsz):
        return tensor.view(bsz, seq_len, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden_states, attention_mask):
        bsz, tgt_len, _ = hidden_states.size()
        query_states = self.q_proj(hidden_states) * self.scaling
        key_states = self._shape(self.k_proj(hidden_states), -1, bsz)
        value_states = self._shape(self.v_proj(hidden_states), -1, bsz)
        proj_shape = (bsz * self.num_heads, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.view(*proj_shape)
        value_states = value_states.view(*proj_shape)
        src_len = key_states.size(1)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))
        attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len) + attention_mask
        attn_weights = torch.max(attn_weights, torch.tensor(torch.finfo(attn_weights.dtype).min))
        attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, self.num_heads, tgt_len, self.head_dim).transpose(1, 2)
        attn_output = attn_output.reshape(bsz, tgt_len, self.embed_dim)
        return self.out_proj(attn_output)


class OPTDecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.self_attn = OPTAttention(d, heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, hidden_states, attention_mask):
        residual = hidden_states
        hidden_states = self.self_attn(self.self_attn_layer_norm(hidden_states), attention_mask)
        hidden_states = residual + hidden_states
        hidden_states_shape = hidden_states.shape
        hidden_states = hidden_states.reshape(-1, hidden_states.size(-1))
        residual = hidden_states
        hidden_states = self.fc2(F.relu(self.fc1(self.final_layer_norm(hidden_states))))
        return (residual + hidden_states).view(hidden_states_shape)


class OPTDecoder(nn.Module):
    def __init__(self, d=32, heads=4, ffn=48, layers=2):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d, padding_idx=1)
        self.embed_positions = OPTLearnedPositionalEmbedding(MAX_POS, d)
        self.layers = nn.ModuleList([OPTDecoderLayer(d, heads, ffn) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, VOCAB, bias=False)

    def forward(self, input_ids, attention_mask):
        input_shape = input_ids.size()
        inputs_embeds = self.embed_tokens(input_ids)
        pos_embeds = self.embed_positions(attention_mask)
        causal = _make_causal_mask(input_shape, inputs_embeds.dtype)
        mask = _expand_mask(attention_mask, inputs_embeds.dtype, tgt_len=input_shape[-1]) + causal
        h = inputs_embeds + pos_embeds
        for layer in self.layers:
            h = layer(h, mask)
        return self.lm_head(self.final_layer_norm(h))


# ---------------------------------------------------------------------------
# BLOOM (HF modeling_bloom of 2022: ALiBi slopes times (cumsum(mask) - 1) * mask, fused qkv viewed as
# (B, T, H, 3, D) and indexed [..., 0, :], baddbmm(alibi, q, k, beta, alpha), causal mask written by slice
# assignment into an empty bool tensor, masked_fill(finfo.min), softmax in float32, bloom's tanh GELU)
# ---------------------------------------------------------------------------
def build_alibi_tensor(attention_mask, num_heads, dtype):
    batch_size, seq_length = attention_mask.shape
    closest_power_of_2 = 2 ** math.floor(math.log2(num_heads))
    base = torch.tensor(2 ** (-(2 ** -(math.log2(closest_power_of_2) - 3))), dtype=torch.float32)
    powers = torch.arange(1, 1 + closest_power_of_2, dtype=torch.int32)
    slopes = torch.pow(base, powers)
    arange_tensor = ((attention_mask.cumsum(dim=-1) - 1) * attention_mask)[:, None, :]
    alibi = slopes[..., None] * arange_tensor
    return alibi.reshape(batch_size * num_heads, 1, seq_length).to(dtype)


def bloom_gelu_forward(x):
    return x * 0.5 * (1.0 + torch.tanh(0.79788456 * x * (1 + 0.044715 * x * x)))


def _bloom_causal_mask(input_ids_shape):
    batch_size, target_length = input_ids_shape
    mask = torch.empty((target_length, target_length), dtype=torch.bool)
    seq_ids = torch.arange(target_length)
    mask[:, 0:] = seq_ids[:, None] < seq_ids[None, :]
    return mask[None, None, :, :].expand(batch_size, 1, target_length, target_length)


class BloomAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.num_heads = heads
        self.head_dim = hidden // heads
        self.inv_norm_factor = 1.0 / math.sqrt(self.head_dim)
        self.beta = 1.0
        self.query_key_value = nn.Linear(hidden, 3 * hidden, bias=True)
        self.dense = nn.Linear(hidden, hidden)

    def forward(self, hidden_states, residual, alibi, attention_mask):
        fused_qkv = self.query_key_value(hidden_states)
        batch_size, seq_length, three_times_hidden_size = fused_qkv.shape
        fused_qkv = fused_qkv.view(batch_size, seq_length, self.num_heads, 3, self.head_dim)
        query_layer, key_layer, value_layer = fused_qkv[..., 0, :], fused_qkv[..., 1, :], fused_qkv[..., 2, :]
        query_layer = query_layer.transpose(1, 2).reshape(batch_size * self.num_heads, seq_length, self.head_dim)
        key_layer = key_layer.permute(0, 2, 3, 1).reshape(batch_size * self.num_heads, self.head_dim, seq_length)
        value_layer = value_layer.transpose(1, 2).reshape(batch_size * self.num_heads, seq_length, self.head_dim)
        matmul_result = alibi.baddbmm(batch1=query_layer, batch2=key_layer, beta=self.beta, alpha=self.inv_norm_factor)
        attention_scores = matmul_result.view(batch_size, self.num_heads, seq_length, seq_length)
        attn_weights = torch.masked_fill(attention_scores, attention_mask, torch.finfo(attention_scores.dtype).min)
        attention_probs = F.softmax(attn_weights, dim=-1, dtype=torch.float32).to(torch.float32)
        attention_probs_reshaped = attention_probs.view(batch_size * self.num_heads, seq_length, seq_length)
        context_layer = torch.bmm(attention_probs_reshaped, value_layer)
        context_layer = context_layer.view(batch_size, self.num_heads, seq_length, self.head_dim)
        context_layer = context_layer.permute(0, 2, 1, 3).reshape(batch_size, seq_length, self.num_heads * self.head_dim)
        return self.dense(context_layer) + residual


class BloomBlock(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.input_layernorm = nn.LayerNorm(hidden, eps=1e-5)
        self.self_attention = BloomAttention(hidden, heads)
        self.post_attention_layernorm = nn.LayerNorm(hidden, eps=1e-5)
        self.dense_h_to_4h = nn.Linear(hidden, 4 * hidden)
        self.dense_4h_to_h = nn.Linear(4 * hidden, hidden)

    def forward(self, hidden_states, alibi, attention_mask):
        attention_output = self.self_attention(self.input_layernorm(hidden_states), hidden_states, alibi, attention_mask)
        h = self.post_attention_layernorm(attention_output)
        return self.dense_4h_to_h(bloom_gelu_forward(self.dense_h_to_4h(h))) + attention_output


class Bloom(nn.Module):
    def __init__(self, hidden=32, heads=4, layers=2):
        super().__init__()
        self.heads = heads
        self.word_embeddings = nn.Embedding(VOCAB, hidden)
        self.word_embeddings_layernorm = nn.LayerNorm(hidden, eps=1e-5)
        self.h = nn.ModuleList([BloomBlock(hidden, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, input_ids, attention_mask):
        hidden_states = self.word_embeddings_layernorm(self.word_embeddings(input_ids))
        alibi = build_alibi_tensor(attention_mask, self.heads, dtype=hidden_states.dtype)
        expanded = ~(attention_mask[:, None, None, :].to(torch.bool))
        causal_mask = _bloom_causal_mask(input_ids.shape) | expanded
        for block in self.h:
            hidden_states = block(hidden_states, alibi, causal_mask)
        hidden_states = self.ln_f(hidden_states)
        return F.linear(hidden_states, self.word_embeddings.weight)  # tied lm_head


# ---------------------------------------------------------------------------
# Conformer (torchaudio / ESPnet style): macaron half-step feed-forwards with SiLU, MHSA via
# nn.MultiheadAttention(batch_first=False) with a key_padding_mask from lengths (arange < lengths[:, None]),
# a convolution module (pointwise Conv1d -> GLU -> depthwise Conv1d with groups and same padding ->
# BatchNorm1d -> SiLU -> pointwise), float features in, lengths as an input
# ---------------------------------------------------------------------------
class ConformerConv(nn.Module):
    def __init__(self, d, kernel=7):
        super().__init__()
        self.layer_norm = nn.LayerNorm(d)
        self.pointwise1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise = nn.Conv1d(d, d, kernel, padding=(kernel - 1) // 2, groups=d)
        self.bn = nn.BatchNorm1d(d)
        self.pointwise2 = nn.Conv1d(d, d, 1)

    def forward(self, x):  # (B, T, D)
        x = self.layer_norm(x).transpose(1, 2)
        x = F.glu(self.pointwise1(x), dim=1)
        x = F.silu(self.bn(self.depthwise(x)))
        return self.pointwise2(x).transpose(1, 2)


class ConformerLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.ffn1 = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ffn), nn.SiLU(), nn.Linear(ffn, d))
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, heads, dropout=0.0)
        self.conv_module = ConformerConv(d)
        self.ffn2 = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ffn), nn.SiLU(), nn.Linear(ffn, d))
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, key_padding_mask):  # x: (T, B, D)
        x = x + 0.5 * self.ffn1(x)
        h = self.self_attn_layer_norm(x)
        h, _ = self.self_attn(query=h, key=h, value=h, key_padding_mask=key_padding_mask, need_weights=False)
        x = x + h
        x = x + self.conv_module(x.transpose(0, 1)).transpose(0, 1)
        x = x + 0.5 * self.ffn2(x)
        return self.final_layer_norm(x)


class Conformer(nn.Module):
    def __init__(self, in_features=12, d=24, heads=4, ffn=40, layers=2):
        super().__init__()
        self.input_proj = nn.Linear(in_features, d)
        self.layers = nn.ModuleList([ConformerLayer(d, heads, ffn) for _ in range(layers)])

    def forward(self, features, lengths):
        max_length = features.size(1)
        padding_mask = torch.arange(max_length, device=lengths.device).expand(lengths.size(0), max_length) >= lengths.unsqueeze(1)
        x = self.input_proj(features).transpose(0, 1)
        for layer in self.layers:
            x = layer(x, padding_mask)
        return x.transpose(0, 1)


# ---------------------------------------------------------------------------
# CLIP text encoder (openai/CLIP model.py): causal mask buffer empty().fill_(-inf).triu_(1) sliced to the
# length, QuickGELU x * sigmoid(1.702 x), nn.MultiheadAttention(batch_first=False) with attn_mask, LND layout,
# pooled output at the EOT token: x[torch.arange(B), text.argmax(dim=-1)] @ text_projection
# ---------------------------------------------------------------------------
class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(collections.OrderedDict([
            ("c_fc", nn.Linear(d_model, d_model * 4)), ("gelu", QuickGELU()), ("c_proj", nn.Linear(d_model * 4, d_model))]))
        self.ln_2 = nn.LayerNorm(d_model)

    def forward(self, x, attn_mask):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))


class CLIPText(nn.Module):
    def __init__(self, width=32, heads=4, layers=2, embed_dim=16):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, width)
        self.positional_embedding = nn.Parameter(torch.randn(MAX_POS, width) * 0.3)
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.randn(width, embed_dim) * width ** -0.5)
        mask = torch.empty(MAX_POS, MAX_POS)
        mask.fill_(float("-inf"))
        mask.triu_(1)
        self.register_buffer("attn_mask", mask, persistent=False)

    def forward(self, text):
        n = text.shape[1]
        x = self.token_embedding(text) + self.positional_embedding[:n]
        x = x.permute(1, 0, 2)  # NLD -> LND
        for blk in self.resblocks:
            x = blk(x, self.attn_mask[:n, :n])
        x = x.permute(1, 0, 2)
        x = self.ln_final(x)
        pooled = x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection
        return x, pooled


# ---------------------------------------------------------------------------
# Weights, inputs, cases
# ---------------------------------------------------------------------------
def randomize(model):
    """Non-trivial weights: norm scales in [0.6, 1.4], biases ~0.1, linear weights wider than the default init
    so attention is not uniform (padding rows of embeddings stay zero, as in real checkpoints)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.normal_(0.0, 1.5 / math.sqrt(m.weight.shape[1]))
            elif isinstance(m, nn.MultiheadAttention):
                m.in_proj_weight.normal_(0.0, 2.5 / math.sqrt(m.embed_dim))
            elif isinstance(m, nn.Embedding) and m.padding_idx is not None:
                m.weight[m.padding_idx].zero_()
            elif isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.2)
                m.running_var.copy_(torch.empty_like(m.running_var).uniform_(0.5, 2.0))
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if p.dim() == 1 and leaf == "weight":
                p.copy_(torch.empty_like(p).uniform_(0.6, 1.4))
            elif leaf.endswith("bias") and p.dim() == 1:
                p.copy_(torch.randn_like(p) * 0.1)
    return model


SIZES = [("b1_s5", 1, 5), ("b2_s13", 2, 13), ("b3_s33", 3, 33)]
TRACE = (2, 7)


def rng_for(*parts):
    return np.random.default_rng(zlib.crc32("/".join(str(p) for p in parts).encode()))


def pad_lengths(batch, seq):
    """Row 0 unpadded; later rows padded at the end by different amounts (at least one real token left)."""
    return [seq] + [max(1, seq - (3 * i + i % 2) - seq // 4) for i in range(1, batch)]


def text_inputs(name, case, b, s, mask_kind=None, pad_id=None, padded=False):
    """input_ids (int64) plus, when asked, a mask: 'ones' (1 = keep, int64) or 'bool' (True = padding)."""
    r = rng_for(name, case)
    low = 2 if pad_id is not None else 0
    ids = r.integers(low, VOCAB, size=(b, s), dtype=np.int64)
    lens = pad_lengths(b, s) if padded else [s] * b
    keep = np.zeros((b, s), dtype=bool)
    for i, n in enumerate(lens):
        keep[i, :n] = True
    if pad_id is not None:
        ids[~keep] = pad_id
    out = {"input_ids": ids}
    if mask_kind == "ones":
        out["attention_mask"] = keep.astype(np.int64)
    elif mask_kind == "bool":
        out["key_padding_mask"] = ~keep
    return out


def text_spec(build, outputs, mask_kind=None, pad_id=None, input_names=None, output_axes=None, seed=0):
    names = ["input_ids"] + ({"ones": ["attention_mask"], "bool": ["key_padding_mask"]}.get(mask_kind, []))
    padded = mask_kind is not None or pad_id is not None

    def make(name):
        def inputs(case, b, s, pad):
            arrays = text_inputs(name, case, b, s, mask_kind, pad_id, pad)
            if input_names:
                arrays = {input_names.get(k, k): v for k, v in arrays.items()}
            return arrays
        return inputs

    onnx_names = [(input_names or {}).get(n, n) for n in names]
    axes = {n: {0: "batch", 1: "seq"} for n in onnx_names}
    for o in outputs:
        axes[o] = (output_axes or {}).get(o, {0: "batch", 1: "seq"})
    return dict(build=build, inputs=onnx_names, outputs=outputs, dynamic_axes=axes, make=make,
                padded=padded, seed=seed)


def image_spec(build, image, channels, seed):
    def make(name):
        def inputs(case, b, s, pad):
            r = rng_for(name, case)
            return {"pixel_values": r.standard_normal((b, channels, image, image)).astype(np.float32)}
        return inputs
    return dict(build=build, inputs=["pixel_values"], outputs=["logits"],
                dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}}, make=make, padded=False,
                seed=seed, image=True)


def audio_spec(build, in_features, seed):
    def make(name):
        def inputs(case, b, s, pad):
            r = rng_for(name, case)
            lengths = np.array(pad_lengths(b, s) if pad else [s] * b, dtype=np.int64)
            return {"features": r.standard_normal((b, s, in_features)).astype(np.float32), "lengths": lengths}
        return inputs
    return dict(build=build, inputs=["features", "lengths"], outputs=["out"],
                dynamic_axes={"features": {0: "batch", 1: "seq"}, "lengths": {0: "batch"}, "out": {0: "batch", 1: "seq"}},
                make=make, padded=True, seed=seed)


SPECS = {
    "nanogpt": text_spec(NanoGPT, ["logits", "last_logits"], output_axes={"last_logits": {0: "batch"}}, seed=11),
    "mingpt": text_spec(MinGPT, ["logits"], seed=12),
    "distilbert": text_spec(DistilBert, ["last_hidden_state"], mask_kind="ones", seed=13),
    "roberta": text_spec(Roberta, ["last_hidden_state"], mask_kind="ones", pad_id=1, seed=14),
    "mha": text_spec(MhaBlock, ["out"], mask_kind="bool", seed=15),
    "t5": text_spec(T5Encoder, ["last_hidden_state"], mask_kind="ones", seed=16),
    "einsum": text_spec(EinsumGPT, ["logits"], seed=17),
    "llama": text_spec(Llama, ["logits"], input_names={"input_ids": "tokens"}, seed=18),
    "timm_vit": image_spec(TimmViT, 20, 3, seed=19),
    "fairseq": text_spec(FairseqEncoder, ["encoder_out"], pad_id=1, input_names={"input_ids": "src_tokens"}, seed=20),
    "opt": text_spec(OPTDecoder, ["logits"], mask_kind="ones", pad_id=1, seed=21),
    "bloom": text_spec(Bloom, ["logits"], mask_kind="ones", seed=22),
    "conformer": audio_spec(Conformer, 12, seed=23),
    "clip_text": text_spec(CLIPText, ["last_hidden_state", "text_embeds"], input_names={"input_ids": "text"},
                           output_axes={"text_embeds": {0: "batch"}}, seed=24),
}


def cases_of(spec, name):
    make = spec["make"](name)
    if spec.get("image"):
        return [(f"b{b}", make(f"b{b}", b, 0, False)) for b in (1, 2, 3)], make("trace", TRACE[0], 0, False)
    cases = []
    for case, b, s in SIZES:
        cases.append((case, make(case, b, s, spec["padded"] and b > 1)))
    return cases, make("trace", TRACE[0], TRACE[1], spec["padded"])


def export(model, spec, trace, path, opset):
    args = tuple(torch.from_numpy(trace[n]) for n in spec["inputs"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(model, args, path, input_names=spec["inputs"], output_names=spec["outputs"],
                          dynamic_axes=spec["dynamic_axes"], opset_version=opset,
                          do_constant_folding=True, export_params=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    got = [i.name for i in m.graph.input]
    if got != spec["inputs"]:
        raise RuntimeError(f"graph inputs {got} != {spec['inputs']}")
    msgs = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught})
    return m, msgs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/xfc-zoo", help="output directory (default /tmp/xfc-zoo)")
    ap.add_argument("--models", default=None, help="comma-separated subset of: " + ",".join(SPECS))
    ap.add_argument("--opsets", default=",".join(map(str, OPSETS)), help="comma-separated opsets (default 13,14,17)")
    ap.add_argument("--clean", action="store_true", help="delete DIR/models and DIR/data first")
    args = ap.parse_args()
    names = list(SPECS) if args.models is None else args.models.split(",")
    for n in names:
        if n not in SPECS:
            ap.error(f"unknown model {n!r}")
    opsets = [int(o) for o in args.opsets.split(",")]

    out = os.path.abspath(args.out)
    models_dir, data_dir = os.path.join(out, "models"), os.path.join(out, "data")
    if args.clean:
        shutil.rmtree(models_dir, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    os.makedirs(models_dir, exist_ok=True)
    os.makedirs(data_dir, exist_ok=True)
    torch.set_num_threads(1)

    report = []
    for name in names:
        spec = SPECS[name]
        try:
            torch.manual_seed(spec["seed"])
            model = randomize(spec["build"]()).eval()
            cases, trace = cases_of(spec, name)
        except Exception as e:  # a model that cannot even be built is a bug in this script
            report.append((name, "-", f"BUILD FAILED: {type(e).__name__}: {e}"))
            traceback.print_exc()
            continue
        exported = 0
        for opset in opsets:
            path = os.path.join(models_dir, f"{name}-opset{opset}.onnx")
            try:
                m, msgs = export(model, spec, trace, path, opset)
                ops = sorted({n.op_type for n in m.graph.node})
                report.append((name, opset, f"ok, {len(m.graph.node)} nodes: {' '.join(ops)}"
                               + "".join(f"\n      warning: {w}" for w in msgs)))
                exported += 1
            except Exception as e:
                if os.path.exists(path):
                    os.remove(path)
                first = str(e).strip().splitlines()[0] if str(e).strip() else ""
                report.append((name, opset, f"EXPORT FAILED: {type(e).__name__}: {first}"))
        if exported == 0:
            continue
        with torch.no_grad():
            for case, arrays in cases:
                cdir = os.path.join(data_dir, name, case)
                os.makedirs(cdir, exist_ok=True)
                for iname in spec["inputs"]:
                    np.save(os.path.join(cdir, iname + ".npy"), arrays[iname])
                res = model(*(torch.from_numpy(arrays[n]) for n in spec["inputs"]))
                res = res if isinstance(res, (tuple, list)) else (res,)
                for oname, t in zip(spec["outputs"], res):
                    a = t.detach().to(torch.float32).numpy()
                    if not np.all(np.isfinite(a)):
                        report.append((name, case, f"PROBLEM: {oname} has non-finite values"))
                    np.save(os.path.join(cdir, oname + ".npy"), a)

    print(f"xfc zoo: out={out}  torch {torch.__version__}  onnx {onnx.__version__}")
    for name, opset, msg in report:
        print(f"  {name:10s} opset {opset}: {msg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
