"""Every format the readers accept, on fixtures written for the project."""

from __future__ import annotations

import json

import pytest

from coach.errors import TranscriptError
from coach.readers import detect_format, read_bytes, read_path
from coach.readers.roles import UNKNOWN_SPEAKER_NAME
from coach.transcript import Transcript

from readers_fixtures import FORMATS, SAMPLE, merged_script

# file -> (format the reader must report, call script it renders)
CASES = {
    "plain_bracket.txt": ("plain", "northwind"),
    "plain_paren.txt": ("plain", "harbor"),
    "plain_bare_crlf.txt": ("plain", "cobalt"),
    "plain_wrapped.txt": ("plain", "fernway"),
    "otter.txt": ("otter", "harbor"),
    "otter_hours.txt": ("otter", "cobalt"),
    "zoom.vtt": ("zoom_vtt", "northwind"),
    "teams_bom_crlf.vtt": ("teams_vtt", "harbor"),
    "teams_utf16.vtt": ("teams_vtt", "cobalt"),
    "subtitles.srt": ("srt", "cobalt"),
    "subtitles_overlap.srt": ("srt", "harbor"),
    "subtitles_utf16_nobom.srt": ("srt", "fernway"),
    "gong_ms.json": ("gong_json", "northwind"),
    "gong_seconds.json": ("gong_json", "harbor"),
    "canonical.json": ("canonical", "cobalt"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reads_every_turn_of_the_call_verbatim(name):
    fmt, call = CASES[name]
    transcript = read_path(FORMATS / name)
    assert transcript.format == fmt
    got = [(transcript.speaker_name(t), t.text) for t in transcript.turns]
    assert got == merged_script(call)
    assert [t.index for t in transcript.turns] == list(range(len(transcript.turns)))
    assert not any("\r" in t.text or "\ufeff" in t.text or "<v" in t.text for t in transcript.turns)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n not in ("plain_wrapped.txt",)))
def test_timed_formats_keep_start_times_in_order(name):
    transcript = read_path(FORMATS / name)
    starts = [t.start_s for t in transcript.turns]
    assert all(s is not None for s in starts)
    assert starts == sorted(starts)
    assert transcript.duration_s and transcript.duration_s >= starts[-1]


def test_zoom_turn_split_over_cues_is_one_turn_with_sentence_times():
    transcript = read_path(FORMATS / "zoom.vtt")
    turn = transcript.turns[3]  # Priya's signal-led opening, three cues in the file
    assert transcript.speaker_name(turn) == "Priya Shah"
    assert len(turn.sentences) == 3
    assert [s.start_s for s in turn.sentences] == sorted(s.start_s for s in turn.sentences)
    assert turn.start_s == turn.sentences[0].start_s == 18.031
    assert turn.end_s == turn.sentences[-1].end_s
    assert " ".join(s.text for s in turn.sentences) == turn.text


def test_multi_line_cue_is_joined_with_a_space():
    transcript = read_path(FORMATS / "zoom.vtt")
    first = transcript.turns[0].sentences[0].text
    assert first == "Hi Marcus, hi Dana, thanks for making time today. How was the offsite last week?"


def test_teams_voice_tags_guid_ids_bom_and_crlf():
    data = (FORMATS / "teams_bom_crlf.vtt").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    transcript = read_bytes(data, name="teams.vtt")
    assert transcript.format == "teams_vtt"
    assert {s.name for s in transcript.speakers} == {"Jordan Blake", "Tom Reyes", "Lena Fischer", "Aisha Khan"}
    assert not any("/" in t.text and "-" in t.text.split("/")[0] for t in transcript.turns)


def test_teams_voice_tag_variants():
    vtt = (
        "WEBVTT\n\n"
        "a1/1-0\n00:00:01.000 --> 00:00:02.000\n<v.loud Priya Shah>Hi &amp; welcome</v>\n\n"
        "a1/2-0\n00:00:02.000 --> 00:00:04.000\n<v Marcus Lee>Thanks.<v Priya Shah>So, your usage...\n\n"
        "00:00:04.000 --> 00:00:05.000 align:start position:10%\n<v Marcus Lee><i>Right</i>\n"
    )
    transcript = read_bytes(vtt.encode(), name="t.vtt")
    got = [(transcript.speaker_name(t), t.text) for t in transcript.turns]
    assert got == [
        ("Priya Shah", "Hi & welcome"),
        ("Marcus Lee", "Thanks."),
        ("Priya Shah", "So, your usage..."),
        ("Marcus Lee", "Right"),
    ]


@pytest.mark.parametrize("name", ["teams_utf16.vtt", "subtitles_utf16_nobom.srt"])
def test_utf16_with_and_without_bom(name):
    data = (FORMATS / name).read_bytes()
    assert b"\x00" in data[:10]
    transcript = read_bytes(data, name=name)
    assert len(transcript.turns) > 10


def test_utf16_big_endian():
    text = "Priya Shah: Hi Marcus.\nMarcus Lee: Hi Priya.\n"
    for data in (b"\xfe\xff" + text.encode("utf-16-be"), text.encode("utf-16-be")):
        transcript = read_bytes(data, name="be.txt")
        assert [t.text for t in transcript.turns] == ["Hi Marcus.", "Hi Priya."]


def test_speakerless_cues_go_to_unknown_speaker_with_a_warning():
    transcript = read_path(FORMATS / "zoom_speakerless.vtt")
    unknown = [t for t in transcript.turns if transcript.speaker_name(t) == UNKNOWN_SPEAKER_NAME]
    assert len(unknown) == 2
    assert unknown[0].text.startswith("Yeah, that sounds about right")
    assert any("2 cue(s) had no speaker label" in w for w in transcript.warnings)


def test_file_without_any_labels_is_one_unknown_speaker():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,500 --> 00:00:03,000\nHi.\n"
    transcript = read_bytes(srt.encode(), name="x.srt")
    assert [s.name for s in transcript.speakers] == [UNKNOWN_SPEAKER_NAME]
    assert transcript.turns[0].text == "Hello there. Hi."
    assert any("no speaker labels" in w for w in transcript.warnings)


def test_overlapping_interjection_keeps_its_own_turn_and_times():
    transcript = read_path(FORMATS / "subtitles_overlap.srt")
    i = next(t.index for t in transcript.turns if t.text == "Mm-hmm.")
    before, mm = transcript.turns[i - 1], transcript.turns[i]
    assert transcript.speaker_name(mm) == "Tom Reyes"
    assert mm.start_s < before.end_s  # crosstalk: it starts before Lena finishes
    assert transcript.speaker_name(transcript.turns[i + 1]) == "Lena Fischer"


def test_out_of_order_cues_are_sorted_with_a_warning():
    vtt = (
        "WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nB: second\n\n"
        "00:00:01.000 --> 00:00:03.000\nA: first\n"
    )
    transcript = read_bytes(vtt.encode(), name="x.vtt")
    assert [t.text for t in transcript.turns] == ["first", "second"]
    assert any("out of time order" in w for w in transcript.warnings)


def test_tolerant_subtitles_missing_blank_lines_comma_times_notes_and_split_text():
    srt = (
        "1\n00:00:01,000 --> 00:00:02,500\nPriya Shah: Hi Marcus,\n"
        "2\n00:00:02.500 --> 00:00:04.000\nPriya Shah: how are things?\n\n"
        "NOTE this block is not speech\n\n"
        "3\n00:00:04,000 --> 00:00:06,000\nMarcus Lee: Busy. The close\n\nis eating my week.\n"
    )
    transcript = read_bytes(srt.encode(), name="x.srt", format="srt")
    got = [(transcript.speaker_name(t), t.text) for t in transcript.turns]
    assert got == [("Priya Shah", "Hi Marcus, how are things?"), ("Marcus Lee", "Busy. The close is eating my week.")]


def test_unreadable_timing_line_skips_that_cue_with_a_warning():
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: one\n\nxx:00 --> 00:00:03.000\nB: lost\n\n00:00:04.000 --> 00:00:05.000\nC: three\n"
    transcript = read_bytes(vtt.encode(), name="x.vtt")
    assert [t.text for t in transcript.turns] == ["one", "three"]
    assert any("line 6" in w for w in transcript.warnings)


def test_subtitle_dash_lines_split_two_speakers_in_one_cue():
    srt = "1\n00:00:01,000 --> 00:00:03,000\n- Priya Shah: Does Thursday work?\n- Marcus Lee: Yes.\n"
    transcript = read_bytes(srt.encode(), name="x.srt")
    assert [(transcript.speaker_name(t), t.text) for t in transcript.turns] == [
        ("Priya Shah", "Does Thursday work?"),
        ("Marcus Lee", "Yes."),
    ]


@pytest.mark.parametrize(
    "line, start",
    [
        ("[00:01:23] Priya Shah: Hello", 83.0),
        ("(1:23) Priya Shah: Hello", 83.0),
        ("00:01:23 Priya Shah: Hello", 83.0),
        ("1:02:03 Priya Shah: Hello", 3723.0),
        ("Priya Shah (1:23): Hello", 83.0),
        ("Priya Shah [00:01:23]: Hello", 83.0),
        ("Priya Shah: Hello", None),
    ],
)
def test_plain_time_prefix_variants(line, start):
    transcript = read_bytes(f"{line}\nMarcus Lee: Hi\n".encode(), name="x.txt")
    assert transcript.format == "plain"
    assert transcript.speaker_name(transcript.turns[0]) == "Priya Shah"
    assert transcript.turns[0].text == "Hello"
    assert transcript.turns[0].start_s == start


def test_plain_continuation_lines_and_colons_inside_text():
    text = "Priya Shah: The agenda: usage first,\nthen next steps at 10:30.\nMarcus Lee: Sounds good.\n"
    transcript = read_bytes(text.encode(), name="x.txt")
    assert [t.text for t in transcript.turns] == [
        "The agenda: usage first, then next steps at 10:30.",
        "Sounds good.",
    ]


def test_otter_hours_and_paragraphs():
    transcript = read_path(FORMATS / "otter_hours.txt")
    assert transcript.turns[0].start_s == 3585.0
    assert transcript.turns[3].start_s > 3600
    text = "Speaker 1  0:05\nFirst paragraph.\n\nSecond paragraph.\n\nSpeaker 2  0:15\nReply.\n"
    t2 = read_bytes(text.encode(), name="otter.txt")
    assert t2.format == "otter"
    assert [t.text for t in t2.turns] == ["First paragraph. Second paragraph.", "Reply."]


def test_gong_milliseconds_and_seconds_give_the_same_times():
    ms = read_path(FORMATS / "gong_ms.json")
    zoom = read_path(FORMATS / "zoom.vtt")
    assert [t.start_s for t in ms.turns] == pytest.approx([t.start_s for t in zoom.turns], abs=0.01)
    seconds = read_path(FORMATS / "gong_seconds.json")
    teams = read_path(FORMATS / "teams_bom_crlf.vtt")
    assert [t.start_s for t in seconds.turns] == pytest.approx([t.start_s for t in teams.turns], abs=0.01)


def test_gong_parties_give_names_emails_and_affiliation():
    transcript = read_path(FORMATS / "gong_ms.json")
    priya = next(s for s in transcript.speakers if s.name == "Priya Shah")
    assert priya.email == "priya.shah@ledgerly.io"
    assert priya.affiliation == "Internal"


def test_gong_without_parties_names_speakers_in_order():
    transcript = read_path(FORMATS / "gong_no_parties.json")
    assert [s.name for s in transcript.speakers] == ["Speaker 1", "Speaker 2"]
    assert any("no entry in 'parties'" in w for w in transcript.warnings)


def test_gong_single_call_object_and_numeric_ids():
    doc = {"callId": 7, "transcript": [
        {"speakerId": 111, "sentences": [{"start": 1000, "end": 4000, "text": "Walk me through your close."}]},
        {"speakerId": 222, "sentences": [{"start": 4500, "end": 9000, "text": "Two analysts, Excel."}]},
    ], "parties": [{"speakerId": 111, "name": "Dan Ortiz"}, {"speakerId": "222", "name": "Marcus Lee"}]}
    transcript = read_bytes(json.dumps(doc).encode(), name="g.json")
    assert transcript.format == "gong_json"
    assert [(transcript.speaker_name(t), t.start_s, t.end_s) for t in transcript.turns] == [
        ("Dan Ortiz", 1.0, 4.0),
        ("Marcus Lee", 4.5, 9.0),
    ]


def test_gong_with_several_calls_reads_the_first_and_warns():
    one = {"callId": "1", "transcript": [{"speakerId": "a", "sentences": [{"start": 0, "end": 1500, "text": "Hi."}]}]}
    doc = {"callTranscripts": [one, {**one, "callId": "2"}]}
    transcript = read_bytes(json.dumps(doc).encode(), name="g.json")
    assert any("holds 2 calls" in w for w in transcript.warnings)


def test_canonical_file_round_trips_byte_for_byte():
    raw = (FORMATS / "canonical.json").read_text()
    transcript = read_path(FORMATS / "canonical.json")
    assert transcript.to_json() + "\n" == raw


@pytest.mark.parametrize("name", sorted(CASES) + ["zoom_speakerless.vtt", "gong_no_parties.json"])
def test_any_format_round_trips_through_canonical_json(name):
    transcript = read_path(FORMATS / name)
    again = read_bytes(transcript.to_json().encode(), name="again.json")
    assert again == transcript
    assert again.to_json() == transcript.to_json()
    assert Transcript.from_json(transcript.to_json(indent=None)) == transcript


def test_sample_call_for_the_readme_demo():
    transcript = read_path(SAMPLE / "expansion_call.vtt")
    assert transcript.format == "zoom_vtt"
    assert 30 <= len(transcript.turns) <= 40
    assert {s.name: s.role.value for s in transcript.speakers} == {
        "Priya Shah": "seller", "Dan Ortiz": "seller", "Marcus Lee": "customer", "Dana Whitfield": "customer",
    }


@pytest.mark.parametrize(
    "text, fmt",
    [
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nA: hi\n", "vtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nA: hi\n", "srt"),
        ('{"callTranscripts": []}', "json"),
        ("[\n  {\"callId\": 1}]", "json"),
        ("[00:00:01] A: hi", "plain"),
        ("Priya Shah  0:05\nHello\n\nMarcus Lee  0:09\nHi\n", "otter"),
        ("Priya Shah: hi\nMarcus Lee: hello\n", "plain"),
        ("just some prose without labels", "unknown"),
        # one Otter header wins over at most one plain-looking line, not over two
        ("Priya Shah  0:05\nNote: hello there\n", "otter"),
        ("Priya Shah  0:05\nNote: hello there\nMarcus Lee: hi\n", "plain"),
        ("prose first\n\nPriya Shah: hi\n", "plain"),
    ],
)
def test_detect_format_from_content(text, fmt):
    assert detect_format(text) == fmt


def test_format_override_wins_over_detection():
    data = (FORMATS / "zoom.vtt").read_bytes()
    assert read_bytes(data, name="x", format="vtt").format == "zoom_vtt"
    assert read_bytes(data, name="x", format="webvtt").format == "zoom_vtt"
    with pytest.raises(TranscriptError, match="invalid JSON"):
        read_bytes(data, name="x", format="gong_json")
    with pytest.raises(TranscriptError, match="unknown format 'docx'"):
        read_bytes(data, name="x", format="docx")


def test_plain_header_lines_above_the_dialogue_are_skipped():
    text = "Northwind / Ledgerly check-in\nDate: 2026-03-02\nAttendees: Priya, Marcus\n\nPriya Shah: Hi Marcus.\nMarcus Lee: Hi.\n"
    transcript = read_bytes(text.encode(), name="x.txt")
    assert [s.name for s in transcript.speakers] == ["Priya Shah", "Marcus Lee"]
    assert "skipped 3 header line(s) above the first speaker" in transcript.warnings
