"""WiSE-FT weight interpolation: alpha 0 is the pretrained encoder, 1 the fine-tune, between is the mix."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification, BertModel

from components.emotion.weight_interpolation import interpolate_encoder


@pytest.fixture()
def pretrained_and_tuned(tmp_path: Path) -> tuple[Path, BertForSequenceClassification]:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, num_labels=7)
    BertModel(config).save_pretrained(tmp_path / "base")
    tuned = BertForSequenceClassification.from_pretrained(tmp_path / "base", num_labels=7)
    with torch.no_grad():
        for parameter in tuned.parameters():
            parameter.add_(torch.randn_like(parameter))  # stands in for fine-tuning
    return tmp_path / "base", tuned


def test_alpha_zero_restores_the_pretrained_encoder_and_keeps_the_head(pretrained_and_tuned) -> None:
    base, tuned = pretrained_and_tuned
    head = tuned.classifier.weight.detach().clone()
    interpolate_encoder(tuned, base, 0.0)
    pretrained = BertModel.from_pretrained(base).state_dict()
    for key, value in tuned.bert.state_dict().items():
        assert torch.equal(value, pretrained[key]), key
    assert torch.equal(tuned.classifier.weight, head)


def test_alpha_between_mixes_each_tensor(pretrained_and_tuned) -> None:
    base, tuned = pretrained_and_tuned
    before = tuned.bert.encoder.layer[0].attention.self.query.weight.detach().clone()
    pretrained = BertModel.from_pretrained(base).encoder.layer[0].attention.self.query.weight.detach()
    interpolate_encoder(tuned, base, 0.7)
    expected = 0.3 * pretrained + 0.7 * before
    assert torch.allclose(tuned.bert.encoder.layer[0].attention.self.query.weight, expected, atol=1e-6)


def test_alpha_one_is_the_fine_tune_and_bad_alpha_is_refused(pretrained_and_tuned) -> None:
    base, tuned = pretrained_and_tuned
    before = {k: v.clone() for k, v in tuned.state_dict().items()}
    interpolate_encoder(tuned, base, 1.0)
    assert all(torch.equal(v, before[k]) for k, v in tuned.state_dict().items())
    with pytest.raises(ValueError, match="alpha must be in"):
        interpolate_encoder(tuned, base, 1.5)
