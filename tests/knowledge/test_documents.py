"""The policy documents parse into passages with stable ids, and the evaluation set refers to them."""

from __future__ import annotations

import pytest

from services.knowledge.documents import DOCUMENTS, KNOWLEDGE_DIR, documents_fingerprint, load_passages, parse_document, slug
from services.knowledge.eval_set import EVAL_FILE, load_eval_set


def test_every_policy_section_has_a_document_with_passages() -> None:
    passages = load_passages()
    assert {p.document for p in passages} == set(DOCUMENTS)
    for document in DOCUMENTS:
        assert len([p for p in passages if p.document == document]) >= 5, document


def test_passage_ids_are_unique_and_built_from_file_and_heading() -> None:
    passages = load_passages()
    ids = [p.id for p in passages]
    assert len(ids) == len(set(ids))
    assert "returns/return-window" in ids and "privacy/how-we-check-its-you" in ids
    window = next(p for p in passages if p.id == "returns/return-window")
    assert window.citation == "Returns > Return window"
    assert window.embedding_text().startswith("Returns. Return window. You can return")


def test_passages_are_short_enough_to_quote_and_to_embed_whole() -> None:
    # 256 word pieces is the encoder's limit; 90 words stays well inside it and reads as one answer.
    for p in load_passages():
        assert 10 <= len(p.text.split()) <= 90, (p.id, len(p.text.split()))


def test_slug_drops_punctuation_and_apostrophes() -> None:
    assert slug("How we check it's you") == "how-we-check-its-you"
    assert slug("  Repair, replacement or refund ") == "repair-replacement-or-refund"


@pytest.mark.parametrize("markdown, message", [
    ("## Heading\ntext", "needs a '# Title'"),
    ("# T\nstray text\n## H\ntext", "text before the first"),
    ("# T\n## H\n", "has no text"),
    ("# T\n## Same\na\n## same\nb", "same section id twice"),
])
def test_malformed_documents_are_rejected_with_the_file_named(markdown: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        parse_document("broken", markdown)
    assert "broken.md" in str(error.value)


def test_the_evaluation_set_is_large_varied_and_points_at_real_passages() -> None:
    questions = load_eval_set(EVAL_FILE, known_ids=[p.id for p in load_passages()])
    kinds = {q.kind for q in questions}
    assert len(questions) >= 150
    assert sum(not q.answerable for q in questions) >= 30
    assert kinds == {"paraphrase", "typo", "casual", "formal", "unanswerable"}
    assert len({q.text.lower() for q in questions}) == len(questions), "duplicate questions"


def test_every_document_is_asked_about() -> None:
    questions = load_eval_set()
    asked = {section.split("/")[0] for q in questions for section in q.sections}
    assert asked == set(DOCUMENTS)


def test_an_unknown_section_id_in_the_evaluation_set_is_an_error(tmp_path) -> None:
    bad = tmp_path / "eval.yml"
    bad.write_text('questions:\n- {q: "x?", section: returns/nope, kind: paraphrase}\n')
    with pytest.raises(ValueError, match="returns/nope"):
        load_eval_set(bad, known_ids=["returns/return-window"])


def test_the_fingerprint_changes_with_the_text(tmp_path) -> None:
    for name in ("returns.md", "shipping.md"):
        (tmp_path / name).write_text((KNOWLEDGE_DIR / name).read_text())
    before = documents_fingerprint(tmp_path)
    (tmp_path / "returns.md").write_text((KNOWLEDGE_DIR / "returns.md").read_text().replace("30 days", "45 days"))
    assert documents_fingerprint(tmp_path) != before
