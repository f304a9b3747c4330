"""Bad input: one-line TranscriptError naming file, problem and line; nothing else ever escapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import TranscriptError
from coach.readers import FORMATS as FORMAT_NAMES
from coach.readers import read_bytes, read_path
from coach.transcript import Transcript

from readers_fixtures import FORMATS, MALFORMED

# file -> (words the message must contain, line number or None)
MALFORMED_CASES = {
    "empty.txt": ("file is empty", None),
    "whitespace_only.vtt": ("file is empty", None),
    "binary_junk.bin": ("binary data", 1),
    "nul_in_text.txt": ("binary data", 2),
    "latin1.txt": ("not valid UTF-8 at byte 35", 2),
    "invalid.json": ("invalid JSON: Expecting ',' delimiter", 4),
    "gong_missing_transcript.json": ("callTranscripts[0].transcript: Field required", None),
    "canonical_bad_role.json": ("speakers[0].role", None),
    "unknown_layout.json": ("unknown JSON layout", None),
    "vtt_no_cues.vtt": ("no cues found", None),
    "vtt_bad_timings.vtt": ("no readable cue timing line", 8),
    "unknown_format.txt": ("unknown format", 1),
}


@pytest.mark.parametrize("name", sorted(MALFORMED_CASES))
def test_malformed_file_gives_one_line_naming_file_problem_and_line(name):
    words, line = MALFORMED_CASES[name]
    path = MALFORMED / name
    with pytest.raises(TranscriptError) as info:
        read_path(path)
    message = str(info.value)
    assert "\n" not in message
    assert words in message
    assert info.value.line == line
    where = f"{path}:{line}: " if line else f"{path}: "
    assert message.startswith(where)


def test_every_malformed_fixture_is_covered():
    assert {p.name for p in MALFORMED.iterdir()} == set(MALFORMED_CASES)


def test_size_limit_is_checked_before_reading_and_configurable(tmp_path):
    path = FORMATS / "zoom.vtt"
    size = path.stat().st_size
    with pytest.raises(TranscriptError, match=f"file is {size} bytes, over the 1000-byte limit"):
        read_path(path, max_bytes=1000)
    with pytest.raises(TranscriptError, match="over the 10-byte limit"):
        read_bytes(b"A: hello there\n", name="x.txt", max_bytes=10)
    assert read_path(path, max_bytes=size).turns


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(TranscriptError, match="cannot read file: No such file or directory"):
        read_path(tmp_path / "nope.vtt")
    with pytest.raises(TranscriptError, match="is a folder"):
        read_path(tmp_path)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"[" * 100_000, "invalid JSON"),  # deep nesting must not escape as RecursionError
        (b'{"callTranscripts": [{"transcript": [{"speakerId": "a", "sentences": [{"start": NaN, "text": "x"}]}]}]}',
         "invalid JSON"),
        (json.dumps({"callTranscripts": [{"transcript": [{"speakerId": "a", "sentences": [
            {"start": 1e300, "end": 2e300, "text": "x"}]}]}]}).encode(), "not a plausible offset"),
        (json.dumps({"callTranscripts": [{"transcript": [{"speakerId": "a", "sentences": [
            {"start": -5, "text": "x"}]}]}]}).encode(), "not a plausible offset"),
        (b'{"callTranscripts": "nope"}', "callTranscripts is empty or not a list"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n", "no speech found"),
        (b"\xef\xbb\xbf", "file is empty"),
        (b"\xff\xfe" + "Priya: hi".encode("utf-16-le")[:-1], "not valid UTF-16"),
    ],
)
def test_edge_inputs_raise_transcript_error(data, words):
    with pytest.raises(TranscriptError, match=words):
        read_bytes(data, name="edge")


def _read_or_error(data: bytes, fmt: str | None = None) -> None:
    try:
        transcript = read_bytes(data, name="fuzz", format=fmt)
    except TranscriptError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(transcript, Transcript)
    assert Transcript.from_json(transcript.to_json()) == transcript


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_else(data):
    _read_or_error(data)


@FUZZ
@given(st.text(max_size=1500), st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_arbitrary_text_never_raises_anything_else(text, encoding):
    _read_or_error(text.encode(encoding, errors="surrogatepass"))


# Fragments of every format, shuffled together, reach the deeper parser paths.
_FRAGMENTS = st.sampled_from([
    "WEBVTT\n", "\n", "\n\n", "1\n", "00:00:01.000 --> 00:00:02.000\n", "00:01,5 --> 1:02\n", "-->", "<v Priya>",
    "</v>", "<v.x>", "Priya Shah: ", "Marcus: hi\n", "- Dan: yes\n", "[00:01:23] ", "(1:23) ", "Priya Shah  0:05\n",
    "NOTE x\n", "&amp;", "<i>", "{", "}", "[", "]", '"callTranscripts"', '"transcript"', '"sentences"', ":", ",",
    '"speakerId": 1', '"start": 1e309', '"text": "hi"', '"parties": [{"speakerId": 1}]', "null", "\r\n", "\ufeff",
    '"speakers": []', '"turns": []', '"format": "plain"', "99:99:99.999", "0:00", "\x00", "é",
])


@FUZZ
@given(st.lists(_FRAGMENTS, max_size=40), st.sampled_from([None, *FORMAT_NAMES]))
def test_format_shaped_garbage_never_raises_anything_else(parts, fmt):
    _read_or_error("".join(parts).encode("utf-8", errors="surrogatepass"), fmt)


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(FORMAT_NAMES))
def test_every_forced_format_survives_arbitrary_bytes(data, fmt):
    _read_or_error(data, fmt)


# Found by the fuzz test above: a timing line cut short after its arrow indexed past its end.
@pytest.mark.parametrize("fmt", ["zoom_vtt", "srt"])
@pytest.mark.parametrize("timing", ["00:00:01.000 --> 0", "00:00:01.000 --> 00:00:0", "00:00:01,000 --> 00:00:02,0"])
def test_timing_line_cut_short_is_a_transcript_error_or_read(timing, fmt):
    header = "WEBVTT\n\n" if fmt == "zoom_vtt" else "1\n"
    _read_or_error(f"{header}{timing}\nPriya Shah: hello\n".encode(), fmt)
