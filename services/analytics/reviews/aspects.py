"""Which aspects of a purchase a review sentence talks about: spaCy's PhraseMatcher on a blank English pipeline.

The phrase lists are matched case-insensitively on tokens (``attr="LOWER"``); a blank pipeline has no
lemmatizer, so inflections are listed. spaCy's rule-based ``sentencizer`` splits reviews into sentences. A second PhraseMatcher finds the cue
phrases that say which way a mention goes (:data:`CUES`, with simple negation).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

ASPECTS: dict[str, tuple[str, ...]] = {
    "delivery": (
        "delivery", "delivered", "deliver", "arrived", "arrive", "arrives", "arriving", "shipping", "shipped", "courier",
        "parcel", "package", "packed", "packaging", "tracking", "dispatch", "dispatched", "in transit", "transit",
        "left it", "showed up", "turned up", "came the next day", "came late", "promised date", "promised day",
        "lost the", "never arrived", "next day", "next morning", "postman", "wrapped", "the box was", "ahead of schedule",
        "driver", "depot", "collect it", "delivery slot", "delivery slots", "in the post",
    ),
    "quality": (
        "quality", "well made", "well built", "build", "built", "sturdy", "durable", "tough", "solid", "flimsy", "cheap parts",
        "broke", "broken", "breaks", "faulty", "defective", "defect", "leak", "leaks", "leaking", "leaked", "cracked", "crackles",
        "stopped working", "stopped heating", "failed", "died", "rattles", "fell apart", "premium", "batch", "waterproof",
        "seams", "zips", "stitching", "battery", "drains", "wears out", "worn out", "last", "lasts", "looks new", "faded",
        "peeling", "ripped", "torn", "scratched", "bent", "dented", "damaged", "components", "pieces", "fabric", "material",
        "snapped", "shattered", "tore", "fell off", "came apart", "coming loose", "construction", "stopped charging", "works",
    ),
    "size and fit": (
        "size", "sizes", "sizing", "sized", "size up", "fit", "fits", "fitting", "fitted", "runs small", "run small",
        "runs large", "run large", "too small", "too big", "too large", "too tight", "tight", "snug", "loose", "baggy",
        "narrow", "wide", "cramped", "pinch", "pinches", "squeeze", "toe box", "size chart", "size guide", "bigger", "larger",
        "smaller", "long", "short", "length", "true to size", "tiny", "too wide", "fits nicely",
    ),
    "price": (
        "price", "priced", "pricey", "expensive", "overpriced", "cheap", "cheaper", "value", "worth", "worth the money",
        "worth every penny", "money", "cost", "costs", "costly", "bargain", "deal", "on sale", "discount", "for less",
        "steep", "affordable", "dollars", "pounds", "for the price", "steal", "paid", "reasonable", "pricier",
    ),
    "service": (
        "customer service", "service", "support", "helpdesk", "agent", "staff", "answered", "replied", "reply", "response",
        "refund", "refunded", "return", "returned", "returning", "sent them back", "exchange", "exchanged", "replacement",
        "nobody answered", "my emails", "helped", "helpful", "rude", "warranty", "helpline", "on hold", "got back to me",
        "returns team", "chat agent",
    ),
}


# Phrases that carry their own polarity about an aspect. A sentence's emotion says how the shopper
# feels overall; these say which way a mention of one aspect goes ("great quality, far too expensive").
CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "delivery": {
        "negative": ("late", "delayed", "delay", "lost", "missed", "never arrived", "never came", "still waiting", "no sign",
                     "damaged", "crushed", "soaked", "dented", "torn", "wrong address", "wrong door", "stuck", "took weeks",
                     "took two weeks", "took three weeks", "too long", "falling apart", "no tracking", "not updated", "a mess"),
        "positive": ("early", "fast", "quick", "quickly", "on time", "as promised", "next day", "same day", "ahead of schedule",
                     "well packed", "on the promised day", "perfect condition", "in perfect shape", "safe", "safely", "intact", "smooth", "polite",
                     "promptly", "without fuss", "in two days", "in three days"),
    },
    "quality": {
        "negative": ("broke", "broken", "breaks", "snapped", "cracked", "shattered", "faulty", "defective", "defect", "leak",
                     "leaks", "leaking", "stopped working", "stopped charging", "stopped heating", "failed", "died", "flimsy",
                     "cheap parts", "feels cheap", "feel cheap", "fell off", "fell apart", "came apart", "coming loose",
                     "peeling", "tore", "torn", "ripped", "rattles", "crackles", "drains fast", "poor quality", "rubbish",
                     "wobbles", "thin", "worn out", "scratched", "bent", "sour", "puddle"),
        "positive": ("well made", "well built", "sturdy", "solid", "durable", "tough", "premium", "excellent quality", "great quality",
                     "top notch", "still works", "still going strong", "looks new", "reliable", "high quality", "no rattles",
                     "waterproof", "stays up", "perfectly", "soft", "rich", "crisp", "superb"),
    },
    "size and fit": {
        "negative": ("too small", "too big", "too large", "too tight", "too loose", "too wide", "too narrow", "too long",
                     "too short", "runs small", "run small", "runs large", "run large", "size up", "size down", "a size up",
                     "tight", "cramped", "pinch", "pinches", "squeeze", "squeezes", "baggy", "tiny", "rubs", "uncomfortable",
                     "could barely", "poor fit", "sizing is off", "chart is wrong"),
        "positive": ("fits perfectly", "fits well", "fit perfectly", "perfect fit", "true to size", "spot on", "fits nicely",
                     "nicely", "comfortable", "right size", "fits true", "accurate"),
    },
    "price": {
        "negative": ("expensive", "overpriced", "pricey", "too much", "steep", "not worth", "rip off", "raised the price",
                     "price went up", "price doubled", "for less", "did not work", "much for", "expected more", "expected better",
                     "stings", "waste of money"),
        "positive": ("value", "worth", "worth every penny", "worth the money", "bargain", "steal", "affordable", "reasonable",
                     "on sale", "fair", "cheaper", "good deal", "great deal"),
    },
    "service": {
        "negative": ("rude", "unhelpful", "never replied", "nobody answered", "never got back", "no reply", "ignored", "on hold",
                     "refused", "took a week", "took five weeks", "took weeks", "copying and pasting", "wait a month",
                     "never called", "cost me", "useless", "hopeless"),
        "positive": ("helpful", "helped", "friendly", "quick", "quickly", "same day", "same week", "within an hour", "within a day",
                     "sorted", "painless", "easy", "out of their way", "without any questions", "clearly", "great service",
                     "free", "answered"),
    },
}
NEGATORS = frozenset({"not", "never", "no", "n't", "nothing", "hardly", "without"})
NEGATION_WINDOW = 3  # tokens before a cue that can negate it ("does not wobble", "not uncomfortable")


@dataclass(frozen=True)
class Sentence:
    text: str
    aspects: dict[str, str | None]  # aspect -> the polarity its cue phrases give (None: no cue), in ASPECTS order

    @property
    def cue_polarity(self) -> str | None:
        """The sentence's polarity from all its cues, when they agree on a side."""
        score = sum({"negative": -1, "positive": 1}.get(p or "", 0) for p in self.aspects.values())
        return "negative" if score < 0 else "positive" if score > 0 else None


class AspectReader:
    """Splits text into sentences and finds the aspects each one mentions, and which way its cue phrases go."""

    def __init__(self, aspects: dict[str, tuple[str, ...]] | None = None, cues: dict[str, dict[str, tuple[str, ...]]] | None = None) -> None:
        aspects = aspects or ASPECTS
        cues = CUES if cues is None else cues
        self.aspect_names = tuple(aspects)
        self.nlp: Language = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.mentions = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for name, phrases in aspects.items():
            self.mentions.add(name, list(self.nlp.tokenizer.pipe(phrases)))
        self.cues = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for name, sides in cues.items():
            for polarity, phrases in sides.items():
                self.cues.add(f"{name}|{polarity}", list(self.nlp.tokenizer.pipe(phrases)))

    def _doc(self, doc_or_text: Doc | str) -> Doc:
        return self.nlp.make_doc(doc_or_text) if isinstance(doc_or_text, str) else doc_or_text

    def aspects(self, doc_or_text: Doc | str) -> dict[str, str | None]:
        """The aspects of one sentence with their cue polarity (None when no cue phrase decides)."""
        doc = self._doc(doc_or_text)
        strings = self.nlp.vocab.strings
        found = {strings[match_id] for match_id, _s, _e in self.mentions(doc)}
        scores: dict[str, int] = {}
        for match_id, start, _end in self.cues(doc):
            aspect, polarity = strings[match_id].split("|")
            negated = any(t.lower_ in NEGATORS for t in doc[max(0, start - NEGATION_WINDOW):start])
            sign = (1 if polarity == "positive" else -1) * (-1 if negated else 1)
            if aspect in found:  # a cue counts only for an aspect the sentence names ("quick" alone is no delivery)
                scores[aspect] = scores.get(aspect, 0) + sign
        return {name: ("negative" if scores.get(name, 0) < 0 else "positive" if scores.get(name, 0) > 0 else None)
                for name in self.aspect_names if name in found}

    def read(self, text: str) -> list[Sentence]:
        """The sentences of ``text`` with their aspects."""
        doc = self.nlp(text)
        return [Sentence(s.text.strip(), self.aspects(s.as_doc())) for s in doc.sents if s.text.strip()]


@lru_cache(maxsize=1)
def default_reader() -> AspectReader:
    return AspectReader()
