from pathlib import Path

from coach.readers import read_path
from coach.resources import data_dir
from coach.transcript import Role, Transcript

ROOT = Path(__file__).resolve().parent.parent


def test_data_folders_resolve_from_checkout():
    assert data_dir("rubrics").name == "rubrics"
    assert data_dir("prompts").name == "prompts"


def test_canonical_json_round_trips():
    transcript = read_path(ROOT / "fixtures/sample/expansion_call.txt", sellers=["Priya Shah", "Dan Ortiz"])
    again = Transcript.from_json(transcript.to_json())
    assert again == transcript
    assert again.to_json() == transcript.to_json()
    roles = {s.name: s.role for s in again.speakers}
    assert roles["Marcus Lee"] is Role.customer
