"""The role heuristic's phrase table is data (rubrics/role_heuristic.yaml): it loads,
drives the heuristic, and a bad copy fails with one line naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.errors import RubricError
from coach.readers import read_bytes
from coach.readers.role_phrases import load_role_phrases
from coach.readers.roles import score_speakers
from coach.resources import data_file

BUNDLED = data_file("rubrics", "role_heuristic.yaml")


def _broken_copy(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "role_heuristic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_bundled_table_loads_with_one_discovery_rule() -> None:
    phrases = load_role_phrases()
    assert [spec.id for spec in phrases.voice].count("discovery") == 1
    assert phrases.discovery.weight > 0
    assert len(phrases.voice_rules) == len(phrases.voice)
    assert "gmail.com" in phrases.free_mail


def test_voice_rules_from_the_table_decide_the_evidence() -> None:
    phrases = load_role_phrases()
    transcript = read_bytes(
        b"Dana: Walk me through how your team handles the close today.\n"
        b"Lee: We use spreadsheets and our controller signs off.\n",
        name="call.txt",
    )
    evidence = score_speakers(transcript)
    by_name = {s.name: evidence[s.id] for s in transcript.speakers}
    assert phrases.discovery.reason in by_name["Dana"].reasons
    assert by_name["Dana"].score > 0 > by_name["Lee"].score


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["voice"][2].update(pattern="(unclosed"), "voice[2].pattern"),
        (lambda d: d["voice"][0].update(anchors=["We At "]), "voice[0].anchors"),
        (lambda d: d["voice"][1].pop("weight"), "voice[1].weight"),
        (lambda d: d["introductions"].pop("seller_intro"), "introductions.seller_intro"),
        (lambda d: d["introductions"]["seller_intro"].update(pattern="brought in"), "seller_intro.pattern"),
        (lambda d: [r.pop("id", None) for r in d["voice"]], "id: discovery"),
        (lambda d: d.update(colour="blue"), "colour"),
    ],
)
def test_a_bad_table_names_the_file_and_field(tmp_path: Path, edit, field: str) -> None:
    path = _broken_copy(tmp_path, edit)
    with pytest.raises(RubricError) as caught:
        load_role_phrases(path)
    line = caught.value.one_line()
    assert "\n" not in line
    assert line.startswith(str(path))
    assert field in line
