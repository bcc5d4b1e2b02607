"""``make emotion-restore``: serve the emotion model that served before the last promotion.

    python -m services.learning.restore            # one promotion back
    python -m services.learning.restore --to VERSION
    python -m services.learning.restore --list     # versions and decisions, newest last

The restore is recorded in the registry. Rebuild the Rasa model afterwards (``make train``) so
the assistant packs the restored weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.learning.registry import REGISTRY_FILE, VERSIONS_DIR, Registry


def history(registry: Registry) -> list[str]:
    """One line per registry event."""
    lines = []
    for event in registry.events:
        sets = event.get("figures", {}).get("sets", {})
        scores = ", ".join(
            f"{name} {s['current']:.4f}->{s['candidate']:.4f}" if s.get("current") is not None else f"{name} {s['candidate']:.4f}"
            for name, s in sets.items())
        lines.append(f"{event['at']}  {event['action']:<12s} {event['version']}" + (f"  [{scores}]" if scores else "")
                     + (f"  {event['reason']}" if event.get("reason") else ""))
    lines.append(f"current: {registry.current or 'none'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, default=REGISTRY_FILE, help="the model registry file")
    parser.add_argument("--serving-dir", type=Path, default=None, help="the serving model directory (default: the registry's)")
    parser.add_argument("--versions-dir", type=Path, default=VERSIONS_DIR, help="where an unregistered serving model is archived first")
    parser.add_argument("--to", default=None, metavar="VERSION", help="restore this version instead of the previous one")
    parser.add_argument("--list", action="store_true", help="print the registry's history and change nothing")
    args = parser.parse_args(argv)
    registry = Registry.load(args.registry, args.serving_dir)
    if args.list:
        print("\n".join(history(registry)))
        return 0
    try:
        registry.adopt_serving(args.versions_dir)  # a model nobody registered is archived, not lost
        restored, replaced = registry.restore(args.to)
    except LookupError as exc:
        print(f"cannot restore: {exc}", file=sys.stderr)
        return 1
    registry.save()
    print(f"restored {restored} into {registry.serving_dir} (replacing {replaced or 'an unregistered model'}); "
          "run `make train` to pack it into the Rasa model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
