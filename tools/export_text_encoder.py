#!/usr/bin/env python3
"""Export a BERT-family text encoder to ONNX for OnnxTransfer (a model.onnx and its tokenizer files in one folder).

    python3 tools/export_text_encoder.py --model bert-base-uncased --out ~/.local/share/onnxtransfer/models/bert-base-uncased
    python3 tools/export_text_encoder.py --model sentence-transformers/all-MiniLM-L6-v2 --out DIR      # any BERT-family id or folder
    python3 tools/export_text_encoder.py --random-bert --out /tmp/bert-random                         # no transformers, no download

Without PyTorch (or, for --model, transformers) the script says what to install in one line and exits 1.
--model needs Hugging Face `transformers` (pip install transformers; it downloads the weights and tokenizer once, or
reads a local folder). --random-bert needs only PyTorch: it exports a plain-torch BERT with random weights (the same
architecture as BERT: word + position + token-type embeddings and LayerNorm, post-LN transformer layers with masked
multi-head self-attention and an exact-GELU feed-forward, a tanh pooler on the first token) through the same export
code, for speed and shape tests; its outputs mean nothing, never report accuracy with it. Sizes default to BERT-base
(--hidden 768 --layers 12 --heads 12 --intermediate 3072); give --tokenizer DIR to copy a tokenizer folder beside it.

The graph takes input_ids, attention_mask and token_type_ids, int64 [batch, sequence] (both axes dynamic), and gives
last_hidden_state float [batch, sequence, hidden] and, with --pooler (default on), pooler_output [batch, hidden].
The script prints the file's sha256 and a backbone spec to start from (put the sha256 in model.sha256 to pin the file).
--example-output FILE.npy also writes last_hidden_state of the export's example input ([CLS] ... [SEP] ids, saved
as FILE.ids.npy) as PyTorch computes it, so the ONNX file can be checked against PyTorch elsewhere.

Tested with Debian's python3-torch 1.13 (/usr/bin/python3); --model was written for transformers 4.x, not run here.
"""
import argparse
import hashlib
import importlib
import inspect
import json
import math
import os
import shutil
import sys

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="Hugging Face model id or local folder of a BERT-family encoder (needs transformers)")
    source.add_argument("--random-bert", action="store_true", help="a plain-torch BERT with random weights (needs only torch)")
    parser.add_argument("--out", required=True, help="folder to write model.onnx (and the tokenizer files) into")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17; 14 or later)")
    parser.add_argument("--no-pooler", dest="pooler", action="store_false", help="leave out pooler_output")
    parser.add_argument("--seed", type=int, default=0, help="seed of --random-bert weights (default 0)")
    parser.add_argument("--vocab", type=int, default=30522, help="--random-bert vocabulary size (default 30522, bert-base-uncased)")
    parser.add_argument("--hidden", type=int, default=768, help="--random-bert hidden size (default 768)")
    parser.add_argument("--layers", type=int, default=12, help="--random-bert layers (default 12)")
    parser.add_argument("--heads", type=int, default=12, help="--random-bert attention heads (default 12)")
    parser.add_argument("--intermediate", type=int, default=3072, help="--random-bert feed-forward size (default 3072)")
    parser.add_argument("--max-positions", type=int, default=512, help="--random-bert position table (default 512)")
    parser.add_argument("--tokenizer", help="--random-bert: a tokenizer folder to copy beside the model")
    parser.add_argument("--example-output", help="also write PyTorch's last_hidden_state of the example input to this .npy")
    args = parser.parse_args(argv)
    if args.opset < 14:
        parser.error("--opset must be 14 or later (LayerNorm and the attention mask export cleanly from 14)")
    if args.random_bert:
        for name in ("vocab", "hidden", "layers", "heads", "intermediate", "max_positions"):
            if getattr(args, name) < 1:
                parser.error(f"--{name.replace('_', '-')} must be positive")
        if args.hidden % args.heads:
            parser.error(f"--hidden {args.hidden} is not a multiple of --heads {args.heads}")
    elif args.tokenizer:
        parser.error("--tokenizer goes with --random-bert (with --model the model's own tokenizer is saved)")
    return args


def require(module, install):
    """Imports what the export needs, or ends the run with one line saying how to install it (never a traceback)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        sys.exit(f"export_text_encoder: {error.name or module} is not installed for {sys.executable}: {install}")


TORCH_INSTALL = "apt-get install python3-torch (Debian/Ubuntu; tools/setup.sh --oracles does it) or pip install torch"
TRANSFORMERS_INSTALL = "pip install transformers (or use --random-bert, which needs only PyTorch)"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plain_bert_class():
    """The plain-torch BERT (defined inside a function so argument parsing works without torch)."""
    import torch
    from torch import nn

    class PlainBert(nn.Module):
        """BERT's encoder written with torch.nn only: post-LN layers, exact GELU, additive -10000 attention mask."""

        def __init__(self, vocab, hidden, layers, heads, intermediate, max_positions, type_vocab=2, eps=1e-12):
            super().__init__()
            self.heads = heads
            self.head_size = hidden // heads
            self.word = nn.Embedding(vocab, hidden)
            self.position = nn.Embedding(max_positions, hidden)
            self.token_type = nn.Embedding(type_vocab, hidden)
            self.embedding_norm = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(PlainBertLayer(hidden, heads, intermediate, eps) for _ in range(layers))
            self.pooler = nn.Linear(hidden, hidden)
            for parameter in self.parameters():  # BERT's initializer range; biases start at zero
                if parameter.dim() > 1:
                    nn.init.normal_(parameter, std=0.02)
                else:
                    nn.init.zeros_(parameter)
            for module in self.modules():
                if isinstance(module, nn.LayerNorm):
                    nn.init.ones_(module.weight)

        def forward(self, input_ids, attention_mask, token_type_ids):
            length = input_ids.shape[1]
            positions = torch.arange(length, device=input_ids.device).unsqueeze(0)
            h = self.embedding_norm(self.word(input_ids) + self.position(positions) + self.token_type(token_type_ids))
            bias = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
            for layer in self.layers:
                h = layer(h, bias)
            return h, torch.tanh(self.pooler(h[:, 0]))

    class PlainBertLayer(nn.Module):
        def __init__(self, hidden, heads, intermediate, eps):
            super().__init__()
            self.heads = heads
            self.head_size = hidden // heads
            self.query = nn.Linear(hidden, hidden)
            self.key = nn.Linear(hidden, hidden)
            self.value = nn.Linear(hidden, hidden)
            self.attention_output = nn.Linear(hidden, hidden)
            self.attention_norm = nn.LayerNorm(hidden, eps=eps)
            self.intermediate = nn.Linear(hidden, intermediate)
            self.output = nn.Linear(intermediate, hidden)
            self.output_norm = nn.LayerNorm(hidden, eps=eps)

        def split(self, x):
            batch, length, _ = x.shape
            return x.view(batch, length, self.heads, self.head_size).transpose(1, 2)

        def forward(self, h, bias):
            q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + bias
            context = torch.matmul(torch.softmax(scores, dim=-1), v)
            context = context.transpose(1, 2).reshape(h.shape)
            h = self.attention_norm(self.attention_output(context) + h)
            return self.output_norm(self.output(nn.functional.gelu(self.intermediate(h))) + h)

    return PlainBert


class HuggingFaceEncoder:
    """Wraps a transformers model so it exports with exactly OnnxTransfer's inputs and outputs."""

    @staticmethod
    def load(name, pooler):
        torch = require("torch", TORCH_INSTALL)
        transformers = require("transformers", TRANSFORMERS_INSTALL)
        AutoModel, AutoTokenizer = transformers.AutoModel, transformers.AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModel.from_pretrained(name)
        if getattr(model.config, "model_type", "") not in ("bert", "distilbert", "roberta", "xlm-roberta", "electra"):
            print(f"export_text_encoder: warning: model type '{model.config.model_type}' is not BERT-family; "
                  "OnnxTransfer's tokenizer is WordPiece only", file=sys.stderr)

        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=True)
                pooled = getattr(out, "pooler_output", None)
                if pooler and pooled is None:
                    pooled = out.last_hidden_state[:, 0]  # models without a pooler: the [CLS] vector, named alike
                return (out.last_hidden_state, pooled) if pooler else (out.last_hidden_state,)

        return Wrapped().eval(), tokenizer, model.config.vocab_size


def example_inputs(vocab):
    """A batch of two rows of different lengths (dynamic axes are traced with padding and a real mask)."""
    import torch
    cls, sep = (101, 102) if vocab > 102 else (0, min(1, vocab - 1))
    ids = [[cls, 7592 % vocab, 1010 % vocab, 2088 % vocab, 999 % vocab, sep], [cls, 2307 % vocab, sep, 0, 0, 0]]
    mask = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]
    as_tensor = lambda rows: torch.tensor(rows, dtype=torch.int64)
    return as_tensor(ids), as_tensor(mask), torch.zeros(2, 6, dtype=torch.int64)


def export(module, vocab, path, opset, pooler):
    """The one export path for Hugging Face and plain-torch encoders."""
    import torch
    inputs = example_inputs(vocab)
    outputs = ["last_hidden_state"] + (["pooler_output"] if pooler else [])
    axes = {name: {0: "batch", 1: "sequence"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    if pooler:
        axes["pooler_output"] = {0: "batch"}

    class Selected(torch.nn.Module):  # drop the pooler from the graph when it is not wanted
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, input_ids, attention_mask, token_type_ids):
            result = self.inner(input_ids, attention_mask, token_type_ids)
            return tuple(result[: len(outputs)])

    # The TorchScript exporter, which torch 2.9+ no longer picks by default (older torch has only it, and no switch).
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(Selected().eval(), inputs, path, input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=outputs, dynamic_axes=axes, opset_version=opset, do_constant_folding=True, **legacy)
    return inputs


def spec_for(name, model_path, sha):
    return {
        "format": "onnxtransfer.backbone", "version": 1, "name": name, "kind": "text",
        "model": {"path": model_path, "sha256": sha},
        "input": {"name": "input_ids", "layout": "NCHW"},
        "text": {"tokenizer": os.path.dirname(model_path), "lower_case": True, "max_length": 512, "pooling": "mean"},
        "features": {"tensor": "auto", "pooling": "none", "l2_normalize": False},
    }


def main(argv=None):
    args = parse_arguments(argv)
    torch = require("torch", TORCH_INSTALL)
    if not args.random_bert:
        require("transformers", TRANSFORMERS_INSTALL)  # before anything is written
    out = os.path.abspath(os.path.expanduser(args.out))
    os.makedirs(out, exist_ok=True)
    model_path = os.path.join(out, "model.onnx")

    if args.random_bert:
        torch.manual_seed(args.seed)
        module = plain_bert_class()(args.vocab, args.hidden, args.layers, args.heads, args.intermediate, args.max_positions).eval()
        vocab, name = args.vocab, f"random-bert-h{args.hidden}-l{args.layers}"
        if args.tokenizer:
            for file in TOKENIZER_FILES:
                if os.path.exists(os.path.join(args.tokenizer, file)):
                    shutil.copyfile(os.path.join(args.tokenizer, file), os.path.join(out, file))
    else:
        module, tokenizer, vocab = HuggingFaceEncoder.load(args.model, args.pooler)
        tokenizer.save_pretrained(out)
        name = os.path.basename(args.model.rstrip("/"))

    inputs = export(module, vocab, model_path, args.opset, args.pooler)
    if args.example_output:
        import numpy
        with torch.no_grad():
            hidden = module(*inputs)[0]
        numpy.save(args.example_output, hidden.numpy().astype(numpy.float32))
        stem = args.example_output[:-4] if args.example_output.endswith(".npy") else args.example_output
        numpy.save(stem + ".ids.npy", inputs[0].numpy())
        numpy.save(stem + ".mask.npy", inputs[1].numpy())

    sha = sha256_of(model_path)
    print(f"wrote {model_path} ({os.path.getsize(model_path)} bytes), sha256 {sha}")
    print("a backbone spec to start from (choose pooling and l2_normalize as the model was trained; see onnx-models/README.md):")
    print(json.dumps(spec_for(name, model_path, sha), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
