"""Feedback files: written one record at a time, validated on reading, last label wins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from services.learning.feedback import FeedbackRecord, FeedbackWriter, feedback_examples, read_feedback, session_path

STARTED = dt.datetime(2026, 11, 22, 12, 0, 0)


def test_round_trip_and_session_names(tmp_path) -> None:
    path = session_path(tmp_path, "Ann Lee", STARTED)
    assert path.name == "20261122T120000Z-Ann-Lee.jsonl"
    writer = FeedbackWriter(path)
    assert not path.exists()  # created on the first record
    first = FeedbackRecord("is it shipped yet", "neutral", "confirmed", "neutral", 0.52, "uncertain", None, "ann", "2026-11-22T12:00:00Z", 1)
    writer.append(first)
    writer.append(dataclasses.replace(first, text="Is it shipped YET", label="frustrated", decision="relabelled", queue_id=2))
    assert writer.written == 2 and read_feedback(tmp_path)[0] == first
    assert session_path(tmp_path, "Ann Lee", STARTED).name == "20261122T120000Z-Ann-Lee-2.jsonl"
    [example] = feedback_examples(read_feedback(tmp_path))
    assert (example.text, example.label) == ("Is it shipped YET", "frustrated")  # same normalised text: the last label wins


@pytest.mark.parametrize(("line", "error"), [
    ({"text": "hi", "label": "furious", "decision": "confirmed"}, "unknown label 'furious'"),
    ({"text": "hi", "label": "neutral"}, "missing decision"),
    ({"text": "hi", "label": "neutral", "decision": "guessed"}, "decision must be one of"),
    ({"text": "hi", "label": "neutral", "decision": "confirmed", "mood": 1}, "unknown fields"),
    ("[1, 2]", "expected a JSON object"),
    ("{not json", "not JSON"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, error) -> None:
    good = json.dumps({"text": "ok", "label": "neutral", "decision": "confirmed"})
    bad = line if isinstance(line, str) else json.dumps(line)
    (tmp_path / "20261122T120000Z-x.jsonl").write_text(f"{good}\n\n{bad}\n")
    with pytest.raises(ValueError, match=error) as info:
        read_feedback(tmp_path)
    assert "20261122T120000Z-x.jsonl:3" in str(info.value)


def test_missing_folder_and_other_files_are_no_feedback(tmp_path) -> None:
    assert read_feedback(tmp_path / "absent") == []
    (tmp_path / "README.md").write_text("# not data\n")
    assert read_feedback(tmp_path) == []
