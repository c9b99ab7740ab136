"""Which language a search query is in, for picking its query map (``language_map``); torch-free.

py3langid (97 languages, its model inside the wheel) decides for alphabetic text. It is weak where
Chinese queries are concerned: a one- or two-character query (``狗``) gets a probability near 0 or
another language altogether, and some Chinese text comes back as ``wuu`` (Wu) or ``yue`` (Cantonese).
So a query's script decides first where the script says enough:

- Japanese kana → ``ja``; Hangul → ``ko``; Han characters without either → ``zh`` (unless py3langid
  says ``ja`` with confidence: ``自転車`` is Japanese written in kanji only);
- the CJK characters must carry at least as much of the query as its other words do (each character
  counts as a word: ``dog 在海滩`` is Chinese, ``a photo of 寿司 on a plate`` is left to py3langid).

A script decision has probability 1. py3langid's ``wuu`` and ``yue`` are reported as ``zh``: written
Chinese either way, served by one map.
"""

from __future__ import annotations

import functools
import re
from typing import Sequence

FAMILY = {"wuu": "zh", "yue": "zh"}  # py3langid codes whose text a ``zh`` map serves
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_CJK = re.compile(f"[{HAN}{KANA}{HANGUL}]")
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters (any script but the CJK ones, removed first)
SURE = 1.0  # the probability reported for a language the script decided


def detect_languages(texts: Sequence[str]) -> list[tuple[str, float]]:
    """``(ISO 639-1 code, probability)`` per text: by script for CJK text, else by py3langid (see above)."""
    identify = identifier().classify
    found = []
    for text in texts:
        script = script_language(text)
        if script == "zh":
            guess, probability = identify(text)
            script = "ja" if guess == "ja" and probability >= 0.5 else "zh"
        if script is not None:
            found.append((script, SURE))
            continue
        code, probability = identify(text)
        found.append((FAMILY.get(code, code), probability))
    return found


def script_language(text: str) -> str | None:
    """``ja``, ``ko`` or ``zh`` when CJK characters carry most of ``text`` (see the module docstring), else None."""
    han = len(re.findall(f"[{HAN}]", text))
    kana = len(re.findall(f"[{KANA}]", text))
    hangul = len(re.findall(f"[{HANGUL}]", text))
    other_words = len(_WORD.findall(_CJK.sub(" ", text)))
    if han + kana + hangul == 0 or han + kana + hangul < other_words:
        return None
    if kana:
        return "ja"
    if hangul >= han:
        return "ko"
    return "zh"


@functools.cache
def identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
