"""`chargen info`: corpus statistics and model size, without training anything."""
from __future__ import annotations

from ..config import ModelConfig
from ..errors import CorpusError, SettingsError
from ..model import SEED, architecture, count_params
from .common import (MODEL_FIELDS, add_corpus_flags, add_model_flags, given, import_tensorflow_quietly,
                     print_json)

IMPORTS_TF_ITSELF = True  # only a download needs it (through Keras); the presets ship with chargen


def add_parser(subparsers):
    p = subparsers.add_parser("info", help="corpus statistics and model size",
                              description="Describe a corpus and the size of a model over its vocabulary.")
    add_corpus_flags(p, default=None)
    add_model_flags(p)
    p.add_argument("--vocab-size", type=int, default=None, help="count parameters for this vocabulary size (default: the corpus's)")
    p.add_argument("--val-fraction", type=float, default=0.1, help="validation tail (0.1)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return p


def corpus_info(args) -> dict:
    from ..data import Vocab, count_windows, load_corpus

    corpus = load_corpus(args.corpus or "builtin", standardize=args.standardize or "none",
                         encoding=args.encoding or "utf-8", allow_html=bool(args.allow_html))
    vocab = Vocab.from_text(corpus.text)
    n_val = int(round(corpus.chars * args.val_fraction))
    return {
        "source": corpus.source, "name": corpus.name, "standardize": corpus.standardize,
        "chars": corpus.chars, "lines": corpus.lines, "vocab_size": vocab.size, "characters": "".join(vocab.chars),
        "train_chars": corpus.chars - n_val, "val_chars": n_val,
        "seed_windows": count_windows(corpus.chars, SEED.window, SEED.step),
        "seed_train_windows": count_windows(corpus.chars - n_val, SEED.window, SEED.step),
    }


def run(args) -> int:
    from ..data import is_url

    if args.corpus is not None and is_url(args.corpus):
        import_tensorflow_quietly()  # downloads go through Keras: its start-up chatter stays off stderr
    if args.vocab_size is not None and args.vocab_size < 2:
        raise SettingsError(f"--vocab-size must be at least 2, got {args.vocab_size}")
    if not 0.0 < args.val_fraction < 0.5:
        raise SettingsError(f"--val-fraction must be in (0, 0.5), got {args.val_fraction}")
    model_cfg = ModelConfig(**given(args, MODEL_FIELDS)).validate()
    info = corpus_info(args) if args.corpus is not None or args.vocab_size is None else {}
    vocab_size = args.vocab_size or info["vocab_size"]
    info.update(arch=model_cfg.arch, params=count_params(model_cfg, vocab_size), params_vocab_size=vocab_size)
    problem = None
    if "chars" in info:  # the check `chargen train` makes, said here too: the numbers alone do not tell
        problem = architecture(model_cfg).too_short(info["chars"], model_cfg, args.val_fraction)
        info["trainable"] = problem is None
    if args.json:
        print_json(info)
    else:
        print_text(info, model_cfg, vocab_size)
    if problem is not None:
        raise CorpusError(f"this corpus cannot be trained on: {problem}")
    return 0


def print_text(info: dict, model_cfg: ModelConfig, vocab_size: int) -> None:
    if "chars" in info:
        print(f"source        {info['source']} ({info['name']}, standardize={info['standardize']})")
        print(f"characters    {info['chars']:,}")
        print(f"lines         {info['lines']:,}")
        print(f"vocabulary    {info['vocab_size']} ids ([UNK] + {info['vocab_size'] - 1} characters): "
              f"{info['characters']!r}")
        print(f"train / val   {info['train_chars']:,} / {info['val_chars']:,} characters")
        print(f"seed windows  {info['seed_windows']:,} of {SEED.window} chars every {SEED.step} "
              f"({info['seed_train_windows']:,} in the training split)")
    print(f"parameters    {info['params']:,} (arch {model_cfg.arch}, vocabulary {vocab_size})")
