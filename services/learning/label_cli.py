"""``make label``: confirm or relabel the queued messages in the terminal.

    python -m services.learning.label_cli [--labeller NAME] [--limit N] [--include-skipped]

Shows each message's masked text, the model's reading and the agent's correction, and reads one
line per message from stdin: Enter (or ``y``) accepts the proposed label (the agent's, else the
model's), ``1``-``7`` or a label name picks one, ``s`` skips, ``q`` quits. Each answer is
committed to the queue and appended to this session's file in ``data/emotion/feedback/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from components.emotion.labels import LABELS
from services.learning.feedback import FEEDBACK_DIR, FeedbackRecord, FeedbackWriter, session_path
from services.learning.models import EmotionReviewItem
from services.learning.queue import pending_items, queue_counts, sync_corrections
from services.store.db import session_scope
from services.store.models import utcnow

KEYS = "  ".join(f"{i} {label}" for i, label in enumerate(LABELS, start=1))
HELP = f"Enter/y = proposed label   {KEYS}   s = skip   q = quit   ? = this help"


@dataclass
class LabelSummary:
    """What one labelling session did."""

    confirmed: int = 0
    relabelled: int = 0
    skipped: int = 0
    remaining: int = 0  # shown but not answered (quit or end of input)

    @property
    def labelled(self) -> int:
        return self.confirmed + self.relabelled


def parse_answer(answer: str, proposed: str | None) -> str | None:
    """A label, ``"skip"``, ``"quit"``, ``"help"`` or None (not understood) for one typed line."""
    answer = answer.strip().lower()
    if answer in ("", "y", "yes"):
        return proposed  # None when there is nothing to accept
    if answer in ("s", "skip"):
        return "skip"
    if answer in ("q", "quit", "exit"):
        return "quit"
    if answer in ("?", "h", "help"):
        return "help"
    if answer.isdigit() and 1 <= int(answer) <= len(LABELS):
        return LABELS[int(answer) - 1]
    return answer if answer in LABELS else None


def describe(item: EmotionReviewItem, position: int, total: int) -> str:
    """The lines shown for one item."""
    reading = f"{item.model_label} {item.model_confidence:.2f}" if item.model_label and item.model_confidence is not None \
        else (item.model_label or "no reading")
    lines = [f"\n[{position}/{total}] #{item.id}  {'agent correction' if item.source == 'correction' else 'unsure reading'}",
             f"  {item.text_masked}", f"  model: {reading}"]
    if item.suggested_label:
        lines.append(f"  agent: {item.suggested_label}" + (f" ({item.suggested_by})" if item.suggested_by else ""))
    lines.append(f"  proposed: {item.proposed_label or '-'}   ({HELP})")
    return "\n".join(lines)


def label_items(session: Session, items: list[EmotionReviewItem], *, labeller: str, writer: FeedbackWriter,
                stdin: TextIO, stdout: TextIO, now: Callable[[], dt.datetime] = utcnow) -> LabelSummary:
    """Ask about each item in turn; commits ``session`` after every answer. Stops at ``q`` or end of input."""
    summary = LabelSummary()
    for position, item in enumerate(items, start=1):
        stdout.write(describe(item, position, len(items)) + "\n")
        choice = _ask(item, stdin, stdout)
        if choice == "quit":
            summary.remaining = len(items) - position + 1
            break
        item.labelled_by, item.labelled_at = labeller[:64], now()
        if choice == "skip":
            item.status = "skipped"
            summary.skipped += 1
        else:
            item.status = "confirmed" if choice == item.proposed_label else "relabelled"
            item.final_label = choice
            writer.append(FeedbackRecord(
                text=item.text_masked, label=choice, decision=item.status, model_label=item.model_label,
                model_confidence=item.model_confidence, source=item.source, suggested_label=item.suggested_label,
                labelled_by=item.labelled_by, labelled_at=item.labelled_at.isoformat() + "Z", queue_id=item.id))
            summary.confirmed += item.status == "confirmed"
            summary.relabelled += item.status == "relabelled"
        session.commit()
        stdout.write(f"  -> {choice if choice == 'skip' else f'{item.status}: {choice}'}\n")
    return summary


def _ask(item: EmotionReviewItem, stdin: TextIO, stdout: TextIO) -> str:
    while True:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line:  # end of input
            stdout.write("\n")
            return "quit"
        choice = parse_answer(line, item.proposed_label)
        if choice == "help":
            stdout.write(HELP + "\n")
        elif choice is None:
            stdout.write(f"  not understood: {line.strip()!r}. {HELP}\n")
        else:
            return choice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="store database URL (default: STORE_DATABASE_URL or runtime/store.db)")
    parser.add_argument("--labeller", default=os.environ.get("LABELLER") or getpass.getuser(), help="your name, kept with each label")
    parser.add_argument("--feedback-dir", type=Path, default=FEEDBACK_DIR, help="where the session's JSONL file is written")
    parser.add_argument("--limit", type=int, default=0, help="label at most N messages (0 = all)")
    parser.add_argument("--include-skipped", action="store_true", help="also show messages skipped earlier")
    parser.add_argument("--no-sync", action="store_true", help="do not pull new agent corrections into the queue first")
    args = parser.parse_args(argv)
    writer = FeedbackWriter(session_path(args.feedback_dir, args.labeller, utcnow()))
    with session_scope(args.url) as session:
        if not args.no_sync:
            added = sync_corrections(session)
            session.commit()
            if added:
                print(f"queued {added} new agent correction(s)")
        items = pending_items(session, include_skipped=args.include_skipped, limit=args.limit or None)
        if not items:
            print("nothing to label: the queue is empty")
            return 0
        print(f"{len(items)} message(s) to label. {HELP}")
        summary = label_items(session, items, labeller=args.labeller, writer=writer, stdin=sys.stdin, stdout=sys.stdout)
        counts = queue_counts(session)
    print(f"\nlabelled {summary.labelled} (confirmed {summary.confirmed}, relabelled {summary.relabelled}), "
          f"skipped {summary.skipped}; {counts['pending']} still pending")
    if writer.written:
        print(f"wrote {writer.written} label(s) to {writer.path}: review it and commit it for the next `make emotion-retrain`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
