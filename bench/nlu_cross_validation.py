"""``rasa test nlu --cross-validation`` on the NLU data, with the intent and entity pipeline only.

    python bench/nlu_cross_validation.py [--folds 3] [--out results/nlu_cv]

The emotion classifier's entity carries no character span, which Rasa's entity evaluation needs
(``KeyError: 'start'``), and the FallbackClassifier and the order-mention router change intents
after DIET; so the folds train ``config.yml``'s pipeline without those three components. Figures
(intent accuracy and F1 per fold, the worst intents, the commonest confusions) are printed and the
reports stay in ``--out``. About 10 minutes per fold on 2 cores.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

import yaml

from services.settings import PROJECT_ROOT

LEFT_OUT = ("components.emotion_classifier.EmotionClassifier", "FallbackClassifier",
            "components.order_mention_router.OrderMentionRouter")


def nlu_only_config(config_file: Path, out_file: Path) -> Path:
    """``config_file`` without the policies and the components of ``LEFT_OUT``, written to ``out_file``."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] not in LEFT_OUT]
    config.pop("policies", None)
    out_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out_file


def summarise(out_dir: Path, worst: int = 6, confusions: int = 10) -> None:
    """Print accuracy, macro F1, the weakest intents and the commonest confusions from Rasa's reports."""
    report = json.loads((out_dir / "intent_report.json").read_text())
    print(f"intent accuracy {report['accuracy']:.3f}, macro F1 {report['macro avg']['f1-score']:.3f}, "
          f"weighted F1 {report['weighted avg']['f1-score']:.3f} over {report['macro avg']['support']} examples")
    per_intent = [(v["f1-score"], k, v["support"]) for k, v in report.items()
                  if isinstance(v, dict) and "support" in v and not k.endswith(" avg")]
    print("weakest intents: " + ", ".join(f"{k} {f1:.2f} (n={n})" for f1, k, n in sorted(per_intent)[:worst]))
    errors = json.loads((out_dir / "intent_errors.json").read_text())
    pairs = collections.Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    print("commonest confusions: " + ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs.most_common(confusions)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3, help="cross-validation folds")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "results" / "nlu_cv", help="where Rasa writes its reports")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = nlu_only_config(PROJECT_ROOT / "config.yml", args.out / "nlu_config.yml")
    rasa = Path(sys.executable).with_name("rasa")
    subprocess.run([str(rasa), "test", "nlu", "--cross-validation", "--folds", str(args.folds), "--config", str(config),
                    "--nlu", str(PROJECT_ROOT / "data" / "nlu"), "--domain", str(PROJECT_ROOT / "domain.yml"),
                    "--out", str(args.out)], check=True, cwd=args.out)
    summarise(args.out)


if __name__ == "__main__":
    main()
