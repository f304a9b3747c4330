"""The spaCy pipeline: built once, offline, lemmas looked up from the lowercase form."""

from __future__ import annotations

import pytest

from coach.errors import ConfigError
from coach.text.nlp import MODEL_ENV, get_nlp, lemma_of, pipe


def test_pipeline_is_built_once_per_process():
    assert get_nlp() is get_nlp()
    assert get_nlp().pipe_names == ["sentencizer", "coach_lower_lemmatizer"]


def test_lemmas_ignore_case_and_quotes_stay_aligned():
    doc = next(pipe(["He Sent the Decks \u2019cause we were Losing time."]))
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["Sent"] == "send" and lemmas["Decks"] == "deck" and lemmas["Losing"] == "lose"
    assert doc.text.startswith("He Sent") and len(doc.text) == len("He Sent the Decks \u2019cause we were Losing time.")
    assert lemma_of("Mapping") == "map"


def test_sentences_are_split():
    doc = next(pipe(["Walk me through it. Who owns it? Thanks!"]))
    assert [s.text for s in doc.sents] == ["Walk me through it.", "Who owns it?", "Thanks!"]


def test_unknown_configured_model_is_a_one_line_config_error(monkeypatch):
    monkeypatch.setenv(MODEL_ENV, "en_no_such_pipeline")
    with pytest.raises(ConfigError, match="en_no_such_pipeline.*not installed") as err:
        get_nlp()
    assert "\n" not in str(err.value)
