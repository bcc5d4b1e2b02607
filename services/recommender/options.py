"""Every recommender option in one place, with the reason for its default."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RecommenderOptions:
    """Options for building, training, evaluating and serving the recommender.

    Frozen so one instance can be shared by training and evaluation; derive
    variants with ``dataclasses.replace(options, epochs=50)``.
    """

    # --- model ---
    # LightFM loss; WARP optimises the top of the ranking, which is what precision@k measures.
    loss: str = "warp"
    # Latent dimensions of every user/item feature embedding.
    no_components: int = 32
    # Initial adagrad step size.
    learning_rate: float = 0.05
    # Passes over the training interactions.
    epochs: int = 30
    # L2 penalty per item feature; small because each brand/tag feature is shared by many items.
    item_alpha: float = 1e-6
    # L2 penalty per user feature.
    user_alpha: float = 1e-6
    # Seed of LightFM's initialisation and sampling, and of the random baseline and cold-start sample.
    seed: int = 42
    # Threads for ranking/evaluation (deterministic at any thread count).
    num_threads: int = 2
    # Threads for fitting: more than 1 is lock-free (Hogwild) SGD, so the same seed no longer
    # gives the same model; keep 1 for reproducible metrics.
    fit_threads: int = 1

    # --- interaction weights (summed per customer and product) ---
    # A purchase is the strongest signal, and what the hold-out measures.
    purchase_weight: float = 3.0
    # A view shows interest but is cheap.
    view_weight: float = 1.0
    # A rating of 3 weighs 1.0; each star above or below adds or removes this much.
    rating_step: float = 0.75
    # Lower bound of a rating's weight: a bad rating is still evidence of a purchase, not negative feedback.
    min_rating_weight: float = 0.25

    # --- features ---
    # Give users "pref:<category>" features; they also carry the cold-start representation.
    use_user_features: bool = True
    # How many of a customer's most purchased categories become "pref:" features.
    top_categories: int = 3
    # Upper bounds (exclusive) of the price bands; the last band is open-ended.
    price_bands: tuple[float, ...] = (25.0, 75.0, 200.0)

    # --- evaluation ---
    # Each customer's last N purchases (and the rest of that order) form the hold-out.
    holdout_per_user: int = 2
    # Share of hold-out customers whose history is removed for the cold-start slice.
    cold_start_share: float = 0.2
    # Products bought at most this many times in train form the few-interaction slice (purchases, not
    # views: every product gets viewed, so counting views leaves this slice empty on the seeded data).
    rare_item_max_purchases: int = 5

    # --- serving ---
    # Weight of the conversation context against the customer's history, twice: the context
    # categories' embedding vs the user embedding, then cosine to the context products vs the model
    # score. 0.5 had the best hit@10 for the second item of held-out two-item orders (0.25-0.75 tried).
    context_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.holdout_per_user < 1:
            raise ValueError("holdout_per_user must be at least 1; use build_dataset(..., holdout=False) for no hold-out.")
        if not 0.0 <= self.context_weight <= 1.0:
            raise ValueError(f"context_weight must be in [0, 1], got {self.context_weight}.")
        if list(self.price_bands) != sorted(self.price_bands):
            raise ValueError(f"price_bands must be increasing, got {self.price_bands}.")

    def interaction_weight(self, kind: str, rating: int | None = None) -> float:
        """Weight of one event of ``kind`` ("view" | "purchase" | "rating")."""
        if kind == "purchase":
            return self.purchase_weight
        if kind == "view":
            return self.view_weight
        if kind == "rating":
            if rating is None:
                raise ValueError("A rating interaction needs a rating (1-5).")
            return max(1.0 + (rating - 3) * self.rating_step, self.min_rating_weight)
        raise ValueError(f"Unknown interaction kind {kind!r}; expected view, purchase or rating.")

    def price_band(self, price: float) -> str:
        """Name of the price band of ``price``, e.g. ``"25-75"``."""
        lower = 0.0
        for upper in self.price_bands:
            if price < upper:
                return f"<{upper:g}" if lower == 0.0 else f"{lower:g}-{upper:g}"
            lower = upper
        return f">={lower:g}"

    def to_dict(self) -> dict:
        """JSON-serialisable copy (persisted next to the model)."""
        return asdict(self)
