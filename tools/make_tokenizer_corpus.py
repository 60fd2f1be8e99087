#!/usr/bin/env python3
"""Builds the tokenizer parity corpus tests/data/tokenizer/corpus.json with open_clip.

Every entry holds a hard string and the ids open_clip's SimpleTokenizer.encode gives for it. Where
ftfy's mojibake repair (fix_encoding, heuristics cliprt leaves out) changes the result, the entry
also holds `ids_without_mojibake_repair`: the ids with ftfy.fix_text(text, fix_encoding=False),
which cliprt must reproduce; tests/tokenizer_test.cpp lists those entries with the reason.

`context_checks` record open_clip's padded rows (tokenizer(text, context_length)) for long texts.
`hf_files` record size and CRC-32 of the vocab.json / merges.txt that Hugging Face's tokenizers
library writes for the CLIP BPE (transformers CLIPTokenizer(...).backend_tokenizer.model.save), so
the C++ test can check that the files it writes from the .gz are the ones HF writes.

Usage (development time only; the output is committed):
    python3 tools/make_tokenizer_corpus.py                 # the committed corpus
    python3 tools/make_tokenizer_corpus.py --sweep OUT     # plus every assigned code point, for a
                                                           # local run (CLIPRT_TOKENIZER_CORPUS=OUT)
"""
import argparse
import html
import json
import pathlib
import random
import tempfile
import unicodedata
import zlib

import ftfy
import open_clip
from open_clip.tokenizer import SimpleTokenizer, whitespace_clean

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "tokenizer" / "corpus.json"

TOKENIZER = SimpleTokenizer()


def clean_without_mojibake_repair(text):
    fixed = ftfy.fix_text(text, fix_encoding=False)
    return whitespace_clean(html.unescape(html.unescape(fixed)).strip()).lower()


PLAIN_TOKENIZER = SimpleTokenizer()
PLAIN_TOKENIZER.clean_fn = clean_without_mojibake_repair


# ---------------------------------------------------------------------------------------------
# Hand-written hard strings, by category.

LATIN = [
    "Ça va très bien, merci!", "Le cœur a ses raisons", "naïve café résumé façade", "ÉCOLE ÉLÉMENTAIRE",
    "Straße, Größe, Maß, STRASSE", "Über Äpfel und Öl", "mañana, niño, ¿Qué tal?", "¡Hola! ¿Cómo estás?",
    "Zażółć gęślą jaźń", "ZAŻÓŁĆ GĘŚLĄ JAŹŃ", "Příliš žluťoučký kůň úpěl ďábelské ódy", "Tiếng Việt có dấu",
    "Nguyễn Thị Minh Khai", "İstanbul'da ılık bir gün", "IĞDIR İLİ", "þetta er íslenska, Þórður",
    "Ångström Øresund Æbleskiver", "São Paulo não é Portugal", "Ελλάδα and Ål", "façade FAÇADE Façade",
    "crème brûlée à la carte", "Đà Nẵng và Hội An", "Ŀ ŀ Ŋ ŋ Ŧ ŧ", "ǅemal ǈubica ǋegoš", "Ǳ ǲ ǳ",
    "Ĳssel ĳs", "ŉ", "ﬁnancial ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ", "Œuvre œuvre ŒUVRE", "æ Æ ǽ Ǽ", "ẞ ß", "ſ long s ſtreet",
    "Ãbc", "ÀÁÂÃÄÅ àáâãäå", "ÈÉÊË èéêë", "ÌÍÎÏ ìíîï", "ÒÓÔÕÖØ òóôõöø", "ÙÚÛÜ ùúûü", "Ýÿý", "Ñ ñ Ç ç",
]

CYRILLIC = [
    "Привет, мир!", "ПРИВЕТ МИР", "Съешь же ещё этих мягких французских булок", "Україна, Київ, ґанок",
    "Ђорђе Ћирић Џон", "Москва — столица России", "ёлка ЁЛКА Ёлка", "Щука и Ъ Ь Ы", "Қазақстан Өзбекстан",
    "Беларусь: Мінск, ў", "Македонија: Ѓ Ќ Ѕ", "Монгол Улс Ө Ү", "Ѳ ѳ Ѵ ѵ Ѣ ѣ", "й vs и\u0306",
    "Это 2024-й год", "“Цитата” и «кавычки»",
]

GREEK = [
    "Καλημέρα κόσμε", "ΚΑΛΗΜΕΡΑ ΚΟΣΜΕ", "ΟΔΟΣ", "ΣΑΣ ΟΔΟΣ.", "Σ", "ΑΣ", "ΑΣ.", "ΑΣ'Β", "Σ Σ Σ",
    "ΌΣΟΣ ΜΑΣ", "ΣΊΣΥΦΟΣ", "ΑΣ\u0301", "Α\u0301Σ", "ἄνθρωπος", "ᾼ ᾳ ᾴ ΑΙ", "α\u0345", "Ω\u0345", "ὈΔΥΣΣΕΎΣ",
    "ΐ ΰ Ϊ Ϋ", "ΤΑ ΠΆΝΤΑ ῬΕΙ", "Θεσσαλονίκη 2004", "ϐ ϑ ϕ ϖ ϰ ϱ ϵ", "μ µ", "Ϝ ϝ Ϙ ϙ",
]

CJK = [
    "你好，世界！", "我爱北京天安门", "漢字と仮名の混じった文", "東京都渋谷区", "ひらがな カタカナ", "ｶﾀｶﾅ ﾊﾝｶｸ",
    "ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ", "ﾃﾞｨｽﾞﾆｰﾗﾝﾄﾞ", "한국어 텍스트입니다", "안녕하세요!", "\u1100\u1161\u11a8 jamo",
    "ᄀᄁᄂ ㄱㄲㄴ", "（括号）【方括号】", "「引用」『二重』", "中文，标点。符号！", "一二三四五六七八九十",
    "〇〻〆", "𠀀𠀁𪚥 rare ideographs", "⺀⺁ radicals", "㊀㊁ ㍻ ㍿", "ー～〜", "ㄅㄆㄇ bopomofo",
    "日本語のテキスト、句読点。", "𝟘𝟙𝟚 mathematical digits",
]

RTL = [
    "مرحبا بالعالم", "السَّلَامُ عَلَيْكُمْ", "العربية ١٢٣ ٤٥٦", "فارسی ۱۲۳ ۴۵۶", "שלום עולם", "עִבְרִית",
    "اردو زبان", "ﻻ ﻷ ﷲ ﷺ", "مرحبا hello שלום", "\u202bRTL embedding\u202c", "\u200fmark\u200e",
    "پژوهش گاه", "كتاب كِتَاب", "ـــــ tatweel",
]

INDIC = [
    "नमस्ते दुनिया", "हिन्दी भाषा", "क्षत्रिय ज्ञान", "संस्कृतम्", "০১২৩ বাংলা", "தமிழ் மொழி", "తెలుగు",
    "ಕನ್ನಡ", "മലയാളം", "ગુજરાતી", "ਪੰਜਾਬੀ", "ଓଡ଼ିଆ", "ภาษาไทย", "สวัสดีครับ", "ພາສາລາວ", "မြန်မာ", "ខ្មែរ",
    "ᠮᠣᠩᠭᠣᠯ", " བོད་ཡིག", "සිංහල", "१२३४ ५६७८", "क़ ख़ ग़ ज़", "क\u093c", "ॐ", "।॥",
]

EMOJI = [
    "I love it 😍😍😍", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family", "👩🏻‍💻 coder", "🏳️‍🌈 flag", "🇫🇷🇩🇪🇯🇵", "🇺🇸",
    "#️⃣ 1️⃣ keycaps", "🏴󠁧󠁢󠁷󠁬󠁳󠁿 Wales", "❤️ vs ❤", "☺️☹️", "🧑🏿‍🤝‍🧑🏻", "🐈‍⬛ black cat", "😀😃😄😁",
    "🙂🙃", "✨🎉🎊", "🫠🫡", "👁️‍🗨️", "🤷‍♀️🤦‍♂️", "🐱cat🐶dog", "emoji:😀text", "📷 a photo of a cat 🐈",
    "⚽️🏀🏈", "🍕🍔🍟🌭", "🚀🌕", "💯🔥", "©️®️™️", "↔️↕️", "🅰️🅱️", "☀️🌤⛅️",
]

DIGITS = [
    "3.14159", "1,000,000", "2024-01-01", "12:30:45", "+1 (555) 123-4567", "0x1F600", "1e-10", "100%",
    "$9.99 €5 £3 ¥100", "½ ¼ ¾ ⅓ ⅞", "x² + y³ = z⁴", "H₂O CO₂", "Ⅰ Ⅱ Ⅲ Ⅳ Ⅻ ⅰ ⅱ ⅻ", "①②③ ⑴⑵", "١٢٣٤٥",
    "๑๒๓", "𝟏𝟐𝟑", "１２３４５", "0123456789", "9" * 40, "3rd 21st 2nd 4th", "v1.2.3-beta", "192.168.0.1",
    "route 66", "ⅷ", "፩፪፫", "㉑㉒", "⓵⓶", "🔟", "𐒠𐒡", "᠐᠑᠒",
]

CONTRACTIONS = [
    "don't", "DON'T", "I'm", "I'M", "you're", "we've", "they'll", "she'd", "it's", "It'S", "'s", "'t",
    "'re", "'ve", "'m", "'ll", "'d", "O'Neil's", "rock'n'roll", "'twas", "ma'am", "y'all'd've", "''s",
    "don’t", "I‘m", "it‛s", "itʼs", "it`s", "it´s", "'ſ", "'ſt", "ﬅ", "'S 'T 'RE 'VE 'M 'LL 'D",
    "can't won't shan't", "'s's's", "'''", "' s", "'x", "'1", "'ll've",
]

PUNCTUATION = [
    "!!!", "???", "?!?!", "...", "…", "--", "—", "–", "!@#$%^&*()", "[]{}<>", "/\\|", "~`", ";;", "::",
    "«quoted»", "‹single›", "„German“", "‚low‘", "¿¡", "¡¡¡wow!!!", "a...b", "a---b", "a_b_c", "__init__",
    "e.g., i.e.,", "http://example.com/path?q=1&r=2", "user@example.com", "#hashtag @mention", "C++ C# F#",
    "<b>bold</b>", "<3 </3", ":-) :-( ;-)", "¯\\_(ツ)_/¯", "(╯°□°)╯︵ ┻━┻", "•◦‣⁃", "§¶†‡", "※‼⁉",
    "a/b/c", "a\\b", "\"double\"", "'single'", "``tick``", "°C °F", "±×÷", "≤≥≠≈", "∑∏∫√∞", "→←↑↓",
    "♠♣♥♦", "♪♫", "★☆", "✓✗", "■□▲△", "⌘⌥⇧", "¢£¤¥", "‰‱", "′″‴", "〃", "＠＃＄", "_" * 30, "-" * 50,
]

HTML = [
    "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;", "&#x27;", "&nbsp;x&nbsp;", "caf&eacute;", "CAF&EACUTE;",
    "&NTILDE; &ntilde; &nTILDE;", "BUNDESSTRA&SZLIG;E", "&amp;amp;", "&amp;amp;amp;", "&amp;amp;amp;amp;lt;",
    "&amp;lt;b&amp;gt;", "&amp", "&ampx", "&amp x", "&lt", "&ltx", "&notin;", "&notit;", "&noti", "&not",
    "&#0;", "&#128;", "&#x80;", "&#150;", "&#x96;", "&#xD800;", "&#1114112;", "&#1114111;", "&#13;", "&#x0D;",
    "&#x1F600;", "&#128512;", "&#12abc;", "&#x;", "&#;", "&#xZZ;", "&#65", "&#x41", "&#0065;", "&#X41;",
    "&#11;", "&#x7f;", "&#xFDD0;", "&#xFFFE;", "&#65534;", "&#x110000;", "&#99999999999999999999;",
    "&hellip; &mdash; &ndash;", "&lsquo;quoted&rsquo;", "&ldquo;quoted&rdquo;", "&copy; &reg; &trade;",
    "&Jscr;ohn &HilbertSpace;ancock", "&checkmark;", "&NotNestedGreaterGreater;", "&nGt;", "&fjlig;",
    "&ThickSpace;x", "&NewLine;", "&Tab;tab", "&zwj;&zwnj;", "&shy;soft", "&AMP;", "&AMP", "&LT;x&GT;",
    "&unknownentity;", "&abcdefghijklmnopqrstuvwxyzabcdefghij;", "&" + "a" * 25 + ";", "& amp;", "&&amp;",
    "&amp;&amp;", "&#38;amp;", "&#38;#38;", "a &lt; b", "a < b &amp; c", "x &amp; <tag>",
    "line one &amp;\nline <two> &amp;\nline three &amp;", "first &amp;\nsecond &amp;",
    "<p>&amp;</p>", "&amp;lt;p&amp;gt;", "Tom &amp; Jerry", "AT&T", "R&D", "&semi;", "&Aacute;&aacute;",
    "&AElig;&aelig;", "&ETH;&eth;", "&THORN;&thorn;", "&szlig;", "&Sigma;&sigma;&sigmaf;", "&ALPHA;",
    "&alpha;&ALPHA;&Alpha;", "&euro;&EURO;", "&frac12;&FRAC12;", "&NBSP;", "&gt&lt", "&amp;#x41;",
    "&amp;#65;", "&#x26;amp;", "&amp;nbsp;", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#x3C;3",
]

WHITESPACE = [
    "", " ", "   ", "\t", "\n", "\r\n", "a  b", "a\tb", "a\nb", "a\r\nb", "a\rb", " leading", "trailing ",
    "  both  ", "a\u00a0b", "a\u2000b\u2001c\u2002d\u2003e", "a\u2004\u2005\u2006\u2007\u2008\u2009\u200ab",
    "a\u3000b", "a\u2028b\u2029c", "a\u0085b", "a\u200bb", "a\u202fb", "a\u205fb", "a\u1680b", "a\u180eb",
    "a\u000bb", "a\u000cb", "a\u001cb\u001dc\u001ed\u001ff", "\u00a0\u00a0", "\ufeffBOM text", "x\ufeffy",
    "tab\t\t\ttab", "new\n\n\nline", "mixed \t\n\r\u00a0\u3000 spaces", "a" + " " * 100 + "b",
    "\u2060word\u2060joiner", "a\u200cb\u200dc", "\u00ad",
]

COMBINING = [
    "e\u0301", "E\u0301", "a\u0308o\u0308u\u0308", "A\u030a", "n\u0303", "c\u0327", "o\u0302\u0301",
    "a\u0323\u0302", "a\u0302\u0323", "q\u0307\u0323", "\u0301alone", "x\u0300\u0301\u0302\u0303\u0304",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f\u031e\u0320\u034dalgo",
    "i\u0307", "I\u0307", "\u0130", "\u0131", "s\u0323\u0307", "\u1e9b\u0323", "\u212b", "\u2126", "\u212a",
    "\u1100\u1161", "\u1100\u1161\u11a8", "\uac00\u11a8", "\u0915\u093c", "\u09c7\u09be", "\u0b47\u0b3e",
    "\u0e40\u0e01", "a\u20dd", "1\u20e3", "\u05d0\u05b7", "\u0627\u0653", "\u3099\u309a",
    "\u304b\u3099", "\uff76\uff9e", "\u0041\u030a\u0301", "e\u0301\u0301", "\u00e9\u0301",
]

QUOTES_AND_WIDTH = [
    "‘single’", "“double”", "‛reversed‟", "„low“", "‚low‘", "«guillemets»", "″double prime″", "ʼmodifier",
    "ＡＢＣ ａｂｃ", "ＨＥＬＬＯ　ＷＯＲＬＤ", "ｈｅｌｌｏ，ｗｏｒｌｄ！", "１２３．４５", "＂quoted＂", "＇apos＇",
    "（ｆｕｌｌ）", "～", "￥１００", "￠￡￢￣￤￦", "ﾟﾞ", "ｰ", "￨￩￪￫￬￭￮", "ﾠ", "ￂￃ", "ﾡﾢ",
    "Ｉ’ｍ ｆｉｎｅ", "ｄｏｎ＇ｔ", "“ＬＯＵＤ”",
]

CONTROL = [
    "a\x00b", "a\x01b\x02c", "a\x07bell", "back\x08space", "a\x0eb\x0fc", "\x1b[31mred\x1b[0m",
    "\x1b[1;32mbold green\x1b[m", "\x1b[٣m arabic digit", "\x1b[x", "\x1b[31", "\x1b]0;title\x07",
    "a\x7fb", "\x80euro", "\x85ellipsis", "\x91quote\x92", "\x93dq\x94", "\x96dash\x97", "\x81\x8d\x8f\x90\x9d",
    "\x99tm", "\x9f", "a\u206ab\u206fc", "a\ufff9b\ufffac\ufffbd\ufffce", "\ufffd replacement",
    "a\u200eb\u200fc", "\u202atext\u202c", "\u2066iso\u2069", "\U000e0041 tag", "\U0001d173music\U0001d17a",
    "a\x0cb", "x\x1fy", "\x00", "\x1b", "\x1b[", "\x1b[0m", "a\x1b[0m", "\x1b[1m\x1b[2m",
]

SPECIAL_NAMES = [
    "<start_of_text>", "<end_of_text>", "<START_OF_TEXT>", "<End_Of_Text>", "a<start_of_text>b",
    "<start_of_text><end_of_text>", "<ſtart_of_text>", "<|startoftext|>", "<|endoftext|>", "<start of text>",
    "<start_of_text", "start_of_text>", "!<end_of_text>", "&lt;end_of_text&gt;", "<end_of_text>'s",
]

MOJIBAKE = [
    "Ã©", "cafÃ©", "â€™", "donâ€™t", "â€œquotedâ€\x9d", "ÃƒÂ©", "sÃ³", "voilÃ le travail", "Ã la mode",
    "Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "&macr;\\_(ã\x83\x84)_/&macr;", "âœ” No problems", "Ã¼ber", "Ã„rger", "ÃŸ",
    "Ã¶Ã¤Ã¼", "â€”dash", "â€¦", "Â£100", "Â©2024", "Ã±andÃº", "æ—¥æœ¬", "Ã‰cole", "l'Ã©tÃ©",
    "The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", "Ã\xa0 bientÃ´t", "â€˜singleâ€™",
    "ðŸ˜€", "ðŸ‘\x8d", "Ã\xa9", "Ã¢â‚¬Å“", "ÐšÐ¸ÐµÐ²",
]

LONG = [
    "a photo of a cat " * 20,
    "word " * 100,
    "supercalifragilisticexpialidocious " * 10,
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "x" * 300,
    "ab" * 200,
    "😀" * 100,
    "1234567890" * 20,
    "日本語" * 60,
    "Привет " * 50,
    "&amp;" * 80,
    "The quick brown fox jumps over the lazy dog. " * 8,
    " ".join(f"token{i}" for i in range(120)),
    "a" * 75, "a " * 75, "a " * 74, "a " * 76, "a " * 77,
    "!" * 500,
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "qwxzjvkqwxzjvkqwxzjvkqwxzjvkqwxzjvk qjxzvqjxzvqjxzv",
]

NATURAL = [
    "a photo of a cat", "a photo of a dog", "A PHOTO OF A CAT.", "a bad photo of the {}.",
    "a photo of many {}.", "a sculpture of a {}.", "a rendering of a {}.", "graffiti of a {}.",
    "a cropped photo of the {}.", "a tattoo of a {}.", "the embroidered {}.", "a photo of a hard to see {}.",
    "itap of a {}.", "a plushie {}.", "a low resolution photo of the {}.", "a origami {}.",
    "Two dogs playing in the snow near a red barn.", "An astronaut riding a horse on Mars, digital art",
    "A bowl of ramen with chopsticks, 4k, trending on artstation", "Mr. & Mrs. Smith's house (1999)",
    "She said, \"It's over 9000!\"", "Dr. Jekyll & Mr. Hyde", "The café's crème brûlée was très bon.",
    "Die Straße ist nass; es regnet.", "Я люблю программирование на C++.", "東京タワーの夜景", "街角的咖啡店",
    "서울의 야경", "القاهرة في الليل", "दिल्ली की गलियाँ", "Αθήνα τη νύχτα", "New York City at night, 35mm film",
    "a diagram of a transformer (neural network)", "E = mc^2", "f(x) = 3x^2 + 2x - 1", "#1 best-seller!!!",
    "snake_case and camelCase and PascalCase and kebab-case", "HTTP/1.1 200 OK", "<img src=\"cat.png\">",
    "🐈 sitting on a 🪑 next to a 🪴", "a photo of a cat.\na photo of a dog.", "   a photo   of a\tcat   ",
]


def random_mix(rng, pools, count):
    """Strings glued from pieces of every category, with random separators and case changes."""
    pieces = [p for pool in pools for p in pool if p and len(p) < 80]
    separators = ["", " ", "  ", "\t", "\n", "-", "'", "&amp;", "\u00a0", "\u3000", ".", "’", "\u0301"]
    out = []
    for _ in range(count):
        parts = [rng.choice(pieces) for _ in range(rng.randint(2, 5))]
        text = ""
        for part in parts:
            if rng.random() < 0.3:
                part = part.upper()
            elif rng.random() < 0.2:
                part = part.title()
            text += rng.choice(separators) + part
        out.append(text)
    return out


def assigned(cp):
    return not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp)) not in ("Cn", "Cs")


def codepoint_runs(rng, codepoints, length, spaced):
    """Chunks of consecutive code points; spaced chunks put a space between characters."""
    out = []
    for i in range(0, len(codepoints), length):
        chunk = [chr(cp) for cp in codepoints[i:i + length]]
        out.append((" " if spaced else "").join(chunk))
    return out


def sweep_strings(rng, full):
    """Unicode coverage: every assigned code point (full) or a sample of each block-sized range."""
    cps = [cp for cp in range(0x110000) if assigned(cp) and not 0xE000 <= cp <= 0xF8FF and cp < 0xF0000]
    if not full:
        by_range = {}
        for cp in cps:
            by_range.setdefault(cp >> 7, []).append(cp)
        sample = []
        for _, group in sorted(by_range.items()):
            sample += sorted(rng.sample(group, min(len(group), 3)))
        cps = sample
    return codepoint_runs(rng, cps, 24, spaced=True) + codepoint_runs(rng, cps, 12, spaced=False)


def entry(name, text):
    ids = TOKENIZER.encode(text)
    record = {"name": name, "text": text, "ids": ids, "clean": TOKENIZER.clean_fn(text)}
    plain = PLAIN_TOKENIZER.encode(text)
    if plain != ids:
        record["ids_without_mojibake_repair"] = plain
    return record


def hf_file_checks():
    from transformers import CLIPTokenizer

    vocab = dict(TOKENIZER.encoder)
    vocab["<|startoftext|>"] = vocab.pop("<start_of_text>")
    vocab["<|endoftext|>"] = vocab.pop("<end_of_text>")
    merges = sorted(TOKENIZER.bpe_ranks, key=TOKENIZER.bpe_ranks.get)
    hf = CLIPTokenizer(vocab=vocab, merges=merges)
    assert hf("a photo of a cat")["input_ids"] == [49406, 320, 1125, 539, 320, 2368, 49407]
    checks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in hf.backend_tokenizer.model.save(tmp):
            data = pathlib.Path(path).read_bytes()
            checks[pathlib.Path(path).name] = {"size": len(data), "crc32": zlib.crc32(data)}
    return checks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sweep", type=pathlib.Path, help="also write a corpus over all code points here")
    args = parser.parse_args()
    rng = random.Random(20261121)

    categories = {
        "latin": LATIN, "cyrillic": CYRILLIC, "greek": GREEK, "cjk": CJK, "rtl": RTL, "indic": INDIC,
        "emoji": EMOJI, "digits": DIGITS, "contractions": CONTRACTIONS, "punctuation": PUNCTUATION,
        "html": HTML, "whitespace": WHITESPACE, "combining": COMBINING, "quotes_width": QUOTES_AND_WIDTH,
        "control": CONTROL, "special_names": SPECIAL_NAMES, "mojibake": MOJIBAKE, "long": LONG,
        "natural": NATURAL,
    }
    texts = []
    for category, strings in categories.items():
        texts += [(f"{category}/{i}", s) for i, s in enumerate(strings)]
        # Upper- and title-cased copies exercise the lowercasing on every script.
        texts += [(f"{category}/{i}/upper", s.upper()) for i, s in enumerate(strings) if s.upper() != s]
    pools = [LATIN, CYRILLIC, GREEK, CJK, RTL, INDIC, EMOJI, DIGITS, CONTRACTIONS, PUNCTUATION, HTML,
             WHITESPACE, COMBINING, QUOTES_AND_WIDTH, CONTROL, NATURAL]
    texts += [(f"mix/{i}", s) for i, s in enumerate(random_mix(rng, pools, 400))]
    texts += [(f"sweep/{i}", s) for i, s in enumerate(sweep_strings(rng, full=False))]

    entries = [entry(name, text) for name, text in texts]
    context_checks = []
    for name, text in texts:
        if name.startswith("long/") or name in ("natural/0", "emoji/2", "whitespace/0"):
            for context_length in (77, 16, 5):
                row = TOKENIZER([text], context_length=context_length)[0].tolist()
                context_checks.append({"name": name, "context_length": context_length, "tokens": row})

    corpus = {
        "about": "Generated by tools/make_tokenizer_corpus.py with open_clip "
                 f"{open_clip.__version__} and ftfy {ftfy.__version__}; do not edit.",
        "entries": entries,
        "context_checks": context_checks,
        "hf_files": hf_file_checks(),
    }
    write(OUT, corpus)
    repaired = [e for e in entries if "ids_without_mojibake_repair" in e]
    print(f"wrote {OUT}: {len(entries)} entries, {len(repaired)} changed by ftfy's mojibake repair:")
    for e in repaired:
        print(f"  {e['name']}: {e['text']!r} -> {e['clean']!r}")

    if args.sweep:
        sweep = [(f"fullsweep/{i}", s) for i, s in enumerate(sweep_strings(rng, full=True))]
        write(args.sweep, dict(corpus, entries=[entry(n, t) for n, t in sweep], context_checks=[]))
        print(f"wrote {args.sweep}: {len(sweep)} entries")


def write(path, corpus):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["{"]
    lines.append(f'"about": {json.dumps(corpus["about"])},')
    lines.append(f'"hf_files": {json.dumps(corpus["hf_files"], sort_keys=True)},')
    for key in ("context_checks", "entries"):
        lines.append(f'"{key}": [')
        items = [json.dumps(item, ensure_ascii=False) for item in corpus[key]]
        lines.append(",\n".join(items))
        lines.append("]," if key == "context_checks" else "]")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
