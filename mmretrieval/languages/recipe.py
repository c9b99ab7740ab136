"""How query maps are fitted and applied (``language_map``); torch-free, so the CLI's help can show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueryMapRecipe:
    """The fit of one language's map (chosen by 10-fold cross-validation on Multi30k dev: eval/language_map.py)."""

    ridge: float = 3e-3  # pull toward the identity: ridge * ||W - I||^2
    steps: int = 200  # full-batch Adam steps
    temperature: float = 0.05  # of the InfoNCE softmax
    lr: float = 1e-3
    target: str = "english"  # a caption's map finds its image's English captions ("english") or the image ("images")


MIN_CONFIDENCE = 0.5  # py3langid's probability a query needs before its language's map applies
