#!/usr/bin/env python3
"""Builds the tokenizer test fixtures under src/test/resources/org/calico/text/ (reference only, never at run time).

1. Trains a small LLaMA-style SentencePiece model (BPE, byte fallback, identity normalisation, dummy prefix, no
   whitespace collapsing, split digits: the settings of LLaMA's tokenizer.model) on a synthetic corpus.
2. Encodes probe strings with the reference `sentencepiece` library (ids, pieces, decode of the ids).
3. Converts the model to a HF `tokenizer.json` with transformers' LlamaConverter (legacy=True, the Vicuna/GLaMM
   behaviour) and records the fast tokenizer's ids for the same strings.
4. Records the GLaMM added-token layout and the encoding of grounded answers the way transformers 4.28's slow
   `PreTrainedTokenizer.tokenize` does it (the version GLaMM pins): split on added tokens, strip the text on both
   sides of an added token that is not an AddedToken object (GLaMM adds plain strings), sentencepiece-encode each
   remaining segment on its own (so each gets the dummy prefix).

Run:  PYTHONPATH=<dir with sentencepiece + protobuf> /work/venv/bin/python scripts/make_tokenizer_fixtures.py
"""
import io
import json
import os
import random

import sentencepiece as spm

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "org", "calico", "text")
os.makedirs(OUT, exist_ok=True)

rng = random.Random(1234)
objects = ["chair", "sofa", "table", "bicycle", "motorbike", "car", "truck", "lamp", "bottle", "cup", "dog", "cat",
           "horse", "bird", "airplane", "boat", "bench", "spoon", "fork", "knife", "kettle", "guitar"]
parts = ["seat", "back", "leg", "arm", "wheel", "handle", "saddle", "frame", "door", "window", "headlight", "mirror",
         "tail", "head", "ear", "wing", "engine", "propeller", "cushion", "pillow", "base", "shade", "cap", "neck",
         "blade", "tine", "spout", "lid", "string", "body"]
templates = [
    "The <image> (IMAGE{a}) and <image> (IMAGE{b}) provide an overview of the pictures.",
    "Can you segment the common object in these images?",
    "Can you segment the common parts of the objects in these images?",
    "Can you segment the unique parts of the objects in these images?",
    "The common object is the {o} <p> {o} </p> [SEG] (IMAGE1) and <p> {o} </p> [SEG] (IMAGE2).",
    "The unique parts are <p> the {p} of the {o} </p> [SEG] (IMAGE{a}) and <p> the {q} </p> [SEG] (IMAGE{b}).",
    "A chat between a curious human and an artificial intelligence assistant. USER: {o} ASSISTANT: {p}",
    "the {p} of the {o} is {n} cm wide, and the {q} is {m} mm long!",
    "Where is the {p}? It's next to the {q}; maybe 3.5 meters away.",
]
lines = []
for _ in range(6000):
    t = rng.choice(templates)
    lines.append(t.format(a=rng.randint(1, 4), b=rng.randint(1, 4), o=rng.choice(objects), p=rng.choice(parts),
                          q=rng.choice(parts), n=rng.randint(0, 999), m=rng.randint(0, 99)))
lines += ["Ünïcödé façade — naïve café", "日本語のテキスト", "emoji 🙂 test"]  # a few rare characters
model = io.BytesIO()
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=600, byte_fallback=True,
    normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False, split_digits=True,
    allow_whitespace_only_pieces=True, character_coverage=0.9995, num_threads=1, hard_vocab_limit=False,
    unk_id=0, bos_id=1, eos_id=2, pad_id=-1, max_sentencepiece_length=16)
mb = model.getvalue()
with open(os.path.join(OUT, "llama-style-sp.model"), "wb") as f:
    f.write(mb)
sp = spm.SentencePieceProcessor(model_proto=mb)

probes = [
    "Hello world",
    "The <image> (IMAGE1) and <image> (IMAGE2) provide an overview of the pictures.",
    "Can you segment the common parts of the objects in these images?",
    "  leading and trailing spaces  ",
    "multiple   spaces\tand\ttabs\nand newlines\n",
    "the seat cushion of the sofa is 123 cm wide",
    "Ünïcödé façade — naïve café",
    "日本語のテキスト and emoji 🙂🚲!",
    "xyzzy qwerty zzzz",
    "",
    " ",
    "a",
    "ASSISTANT: <p> the saddle </p> [SEG] (IMAGE1)",
]
cases = []
for s in probes:
    ids = sp.encode(s)
    cases.append({"text": s, "ids": ids, "pieces": [sp.id_to_piece(i) for i in ids], "decoded": sp.decode(ids)})

# sampled id sequences for decode (includes byte pieces and control ids)
decode_cases = []
for _ in range(20):
    ids = [rng.randrange(sp.get_piece_size()) for _ in range(rng.randint(1, 12))]
    decode_cases.append({"ids": ids, "decoded": sp.decode(ids)})

# HF fast tokenizer.json from the same model, assembled like transformers' LlamaConverter with legacy=True (the
# Vicuna/GLaMM behaviour: normalizer Prepend("▁") + Replace(" ", "▁"), BPE with byte fallback and fused unk,
# decoder Replace + ByteFallback + Fuse + Strip(1 left)). transformers 5.18's converter class cannot be driven
# without a slow tokenizer object, so the same pieces are put together here with the `tokenizers` library.
from tokenizers import AddedToken, Tokenizer, decoders, normalizers
from tokenizers.models import BPE
from transformers import PreTrainedTokenizerFast
from transformers.convert_slow_tokenizer import generate_merges

vocab_scores = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
vocab_scores[0] = (sp.id_to_piece(0), 0.0)
vocab_scores[1] = (sp.id_to_piece(1), 0.0)
vocab_scores[2] = (sp.id_to_piece(2), 0.0)
bpe_vocab = {w: i for i, (w, _) in enumerate(vocab_scores)}
merges = generate_merges(bpe_vocab, vocab_scores)
hf_tok = Tokenizer(BPE(bpe_vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True, dropout=None))
hf_tok.add_tokens([AddedToken(sp.id_to_piece(i), normalized=False, special=True) for i in range(3)])
hf_tok.normalizer = normalizers.Sequence([normalizers.Prepend(prepend="▁"), normalizers.Replace(pattern=" ", content="▁")])
hf_tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(content=" ", left=1)])
hf_tok.save(os.path.join(OUT, "llama-style-tokenizer.json"))
fast = PreTrainedTokenizerFast(tokenizer_object=hf_tok)
for c in cases:
    c["hf_ids"] = fast(c["text"], add_special_tokens=False)["input_ids"]

# GLaMM added tokens (train.py::setup_tokenizer_and_special_tokens): <im_start>, <im_end>, <bbox>, <point>, [SEG], <p>, </p>
added = ["<im_start>", "<im_end>", "<bbox>", "<point>", "[SEG]", "<p>", "</p>"]
base = sp.get_piece_size()
added_ids = {t: base + i for i, t in enumerate(added)}


def glamm_encode(text):
    """transformers 4.28 slow tokenize(): split on added/special tokens, strip around plain added tokens."""
    specials = {"<s>": 1, "</s>": 2, "<unk>": 0}  # AddedToken(lstrip=False, rstrip=False): no stripping
    vocab = dict(added_ids)
    vocab.update(specials)
    # trie split: longest match, left to right
    toks = []
    i = 0
    cur = ""
    keys = sorted(vocab, key=len, reverse=True)
    while i < len(text):
        m = next((k for k in keys if text.startswith(k, i)), None)
        if m:
            toks.append(cur)
            toks.append(m)
            cur = ""
            i += len(m)
        else:
            cur += text[i]
            i += 1
    toks.append(cur)
    toks = [t for t in toks if t != ""] if False else toks
    for j, t in enumerate(toks):
        if t in added_ids:
            if j + 1 < len(toks) and toks[j + 1] and toks[j + 1] not in vocab:
                toks[j + 1] = toks[j + 1].lstrip()
            if j > 0 and toks[j - 1] and toks[j - 1] not in vocab:
                toks[j - 1] = toks[j - 1].rstrip()
    ids = []
    for t in toks:
        if t in vocab:
            ids.append(vocab[t])
        elif t:
            ids.extend(sp.encode(t))
    return ids


glamm_texts = [
    "<p> the seat cushion </p> [SEG] (IMAGE1) and <p> the back pillow </p> [SEG] (IMAGE2).",
    "The common object is <p> chair </p> [SEG] (IMAGE1)</s>",
    "USER: The <im_start><im_end> (IMAGE1) provides an overview. ASSISTANT:",
    "[SEG][SEG] <p></p>",
]
glamm = [{"text": t, "ids": glamm_encode(t)} for t in glamm_texts]

with open(os.path.join(OUT, "sp-fixtures.json"), "w") as f:
    json.dump({"vocab_size": sp.get_piece_size(), "bos": sp.bos_id(), "eos": sp.eos_id(), "unk": sp.unk_id(),
               "cases": cases, "decode_cases": decode_cases, "added_tokens": added_ids, "glamm": glamm},
              f, ensure_ascii=False, indent=1)
print("vocab", sp.get_piece_size(), "model bytes", len(mb))
for c in cases:
    print(repr(c["text"]), c["ids"] == c["hf_ids"], len(c["ids"]))
