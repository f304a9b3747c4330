"""Practice scenarios from a real call's scorecard, and the `coach roleplay` command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coach.cli import app
from coach.readers import read_bytes
from coach.render.json import parse_json
from coach.roleplay.practice import from_scorecard
from coach.roleplay.session import SessionState
from coach.scoring import score_transcript
from coach.transcript import Transcript
from tests.roleplay.support import PLAYS

FUMBLED_CALL = b"""Jordan Blake: I wanted to tell you about our new product, Route Optimizer.
Nina Park: Okay.
Jordan Blake: Walk me through how your team handles route planning today: who owns it, what tools, what's the cycle time?
Nina Park: Two planners, spreadsheets, a day a week.
Jordan Blake: Would you like to add 20 seats this quarter?
Nina Park: Hmm, I'd need to run it by Dana first.
Jordan Blake: So can we get the order form signed this week?
Nina Park: Honestly, just send me some information.
Jordan Blake: Sure, I'll send it over today.
"""


@pytest.fixture
def card():
    return score_transcript(read_bytes(FUMBLED_CALL, name="nina-call.txt", sellers=["Jordan Blake"]))


def test_practice_scenario_targets_the_calls_misses_in_its_own_words(card):
    assert card.item("ask_once").verdict.value == "fail" and card.item("soft_no_reopen").verdict.value == "fail"
    scenario = from_scorecard(card)
    assert scenario.id == "practice_send_me_information"  # the brush-off it let stand picks the base
    assert scenario.info_request_on_meeting_ask
    # the objections it fumbled come back in the real customer's words
    assert scenario.lines.info_request == ["Honestly, just send me some information.", "As I said: Honestly, just send me some information."]
    assert scenario.lines.soft_no == ["Hmm, I'd need to run it by Dana first.", "As I said: Hmm, I'd need to run it by Dana first."]
    # the real customer, not the stock persona, and the call's own opening
    assert scenario.persona.name == "Nina Park"
    assert "Greg" not in " ".join(line for lines in scenario.lines.model_dump().values() for line in lines)
    assert 'How your call opened: "I wanted to tell you about our new product, Route Optimizer."' in scenario.rep_brief
    brief = "\n".join(scenario.focus)
    assert "I wanted to tell you about our new product, Route Optimizer." in brief  # the skipped signal / never-say
    assert "Q2: where it hurts" in brief and "Q3: the one fix" in brief and "Q1" not in brief  # the questions it never asked
    assert "asked twice after a soft answer" in brief and "So can we get the order form signed this week?" in brief
    assert "nina-call.txt" in scenario.rep_brief


def test_a_clean_call_gives_a_plain_practice_of_its_trigger():
    lines = PLAYS["renewal_window"]["good"]["rep_lines"]
    from tests.roleplay.support import play
    from coach.roleplay.session import score_session

    card = score_session(play("renewal_window", lines)[0])
    scenario = from_scorecard(card)
    assert scenario.id == "practice_renewal_window" and scenario.focus == []


def run(runner: CliRunner, *args: str):
    return runner.invoke(app, ["roleplay", *args])


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_list_shows_every_scenario(runner):
    result = run(runner, "--list")
    assert result.exit_code == 0
    for scenario_id in PLAYS:
        assert scenario_id in result.stdout  # whole: the id is what the rep types


def test_scripted_rep_plays_saves_and_scores(runner, tmp_path: Path):
    expected = PLAYS["usage_threshold_upsell"]["bad"]
    rep = tmp_path / "rep.txt"
    rep.write_text("# the bad rep\n" + "\n".join(expected["rep_lines"]) + "\n")
    result = run(runner, "--scenario", "usage_threshold_upsell", "--rep-lines", str(rep), "--no-llm",
                 "--save", str(tmp_path / "out"), "--rep-name", "Alex Rivera", "--format", "json", "--seed", "3")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    card = parse_json(result.stdout)  # the chat went to stderr
    verdicts = {i.id: i.verdict.value for i in card.items}
    assert {k: verdicts[k] for k in expected["verdicts"]} == expected["verdicts"]
    (transcript_file,) = (tmp_path / "out").glob("*.transcript.json")
    (session_file,) = (tmp_path / "out").glob("*.session.json")
    transcript = Transcript.from_json(transcript_file.read_text())
    assert [t.text for t in transcript.turns if t.speaker == "rep"] == expected["rep_lines"]
    session = SessionState.from_json(session_file.read_text())
    assert [[n.turn, n.rule] for n in session.notes] == [[2 * line - 1, rule] for line, rule in expected["facilitator"]]
    assert session.seed == 3
    assert "Facilitator: ask once" in result.stderr and "Facilitator stepped in 3 time(s)" in result.stderr


def play_from_scorecard(runner: CliRunner, tmp_path: Path, card, line: str):  # type: ignore[no-untyped-def]
    """`coach roleplay --from-scorecard` on the card, one scripted rep line, saved to tmp_path."""
    card_file = tmp_path / "card.json"
    card_file.write_text(card.model_dump_json())
    rep = tmp_path / "rep.txt"
    rep.write_text(line + "\n")
    result = run(runner, "--from-scorecard", str(card_file), "--rep-lines", str(rep), "--no-llm", "--save", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    return result


def test_from_scorecard_plays_the_practice_scenario(runner, tmp_path: Path, card):
    result = play_from_scorecard(runner, tmp_path, card, "Could we spend 20 minutes mapping how your team handles quality checks today?")
    assert "Honestly, just send me some information." in result.stdout  # the real customer's brush-off
    assert "What to practise, from nina-call.txt" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope", "--rep-lines", "rep.txt"], "unknown scenario 'nope'"),
        (["--rep-lines", "rep.txt"], "give exactly one of --scenario ID or --from-scorecard FILE"),
        (["--scenario", "renewal_window", "--rep-lines", "missing.txt"], "missing.txt: cannot read rep lines"),
        (["--scenario", "renewal_window", "--rep-lines", "empty.txt"], "empty.txt: no rep lines"),
        (["--from-scorecard", "bad.json", "--rep-lines", "rep.txt"], "bad.json: not a scorecard"),
        (["--scenario", "renewal_window"], "stdin is not a terminal"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, tmp_path: Path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rep.txt").write_text("Hi Sam.\n")
    (tmp_path / "empty.txt").write_text("\n# only a comment\n")
    (tmp_path / "bad.json").write_text(json.dumps({"call": {}}))
    result = run(runner, *args, "--no-llm")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_model_leaves_the_role_play_on_scripted_lines(runner, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("COACH_LLM_MODEL", "any")
    monkeypatch.setenv("COACH_LLM_RETRIES", "0")
    rep = tmp_path / "rep.txt"
    rep.write_text("\n".join(PLAYS["renewal_window"]["bad"]["rep_lines"][:2]) + "\n")
    result = run(runner, "--scenario", "renewal_window", "--rep-lines", str(rep), "--save", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    (session_file,) = tmp_path.glob("*.session.json")
    session = SessionState.from_json(session_file.read_text())
    customer = [t for t in session.turns[1:] if t.role == "customer"]
    assert len(customer) == 2 and all(t.source == "script" for t in customer)
    assert all("connection" in (t.fallback_reason or "") for t in customer)
    assert "(scripted)" not in result.stderr + result.stdout  # users never see which voice spoke


def test_slash_commands_are_handled_never_spoken_or_scored(runner, tmp_path: Path):
    rep = tmp_path / "rep.txt"
    rep.write_text(
        "/help\n/hint\nI noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan.\n"
        "/hint\n/bogus\n/end\nThis line comes after /end and is never played.\n"
    )
    result = run(runner, "--scenario", "usage_threshold_upsell", "--rep-lines", str(rep), "--no-llm", "--save", str(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "/restart" in result.stderr and "Open on what you saw" in result.stderr  # /help, then the first /hint
    assert "Ask question 1" in result.stderr  # the second /hint knows the opening was done
    assert "unknown command /bogus" in result.stderr
    session = SessionState.model_validate_json(next(tmp_path.glob("*.session.json")).read_text())
    assert [t.text for t in session.turns if t.role == "rep"] == [
        "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan."
    ]
    card = json.loads(result.stdout)
    assert card["practice"]["difficulty"] == "easy"


def test_a_command_never_reaches_the_customer():
    from coach.roleplay.commands import parse_command
    from coach.roleplay.session import RoleplayError, play_turn, start_session
    from coach.roleplay.scenario import get_scenario

    assert [parse_command(x) for x in ("/help", "/END", "/hint please", "/quit", "/what", "hello /end")] == [
        "help", "end", "hint", "end", "unknown", None,
    ]
    state = start_session(get_scenario("renewal_window"), rep_name="Alex Rivera")
    with pytest.raises(RoleplayError, match="chat command"):
        play_turn(state, "/help")


def test_difficulty_option_plays_the_level_and_the_scorecard_says_it(runner, tmp_path: Path):
    rep = tmp_path / "rep.txt"
    rep.write_text("This is the future of the category.\nAnything else?\n")
    result = run(runner, "--scenario", "usage_threshold_upsell", "--difficulty", "hard", "--rep-lines", str(rep),
                 "--no-llm", "--save", str(tmp_path), "-f", "md")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "level hard" in result.stdout and "the customer ended the call" in result.stdout
    bad = run(runner, "--scenario", "usage_threshold_upsell", "--difficulty", "brutal", "--rep-lines", str(rep))
    assert bad.exit_code == 2 and "brutal" in bad.stderr


LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "labelled"


def _stock_words(scenario_id: str) -> set[str]:
    from coach.roleplay.scenario import get_scenario

    base = get_scenario(scenario_id)
    return {*base.names.customer_company, *base.names.product, base.persona.name, base.persona.name.split()[0]}


def _all_text(scenario) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(scenario.texts().values())


def test_a_practice_from_a_gong_call_keeps_its_customer_companies_and_product():
    from coach.readers import read_path

    card = score_transcript(read_path(LABELLED / "24_gong_signalroom_feature_list_reask.json"))
    scenario = from_scorecard(card)
    assert scenario.id == "practice_cross_sell_adjacent_pain"
    assert (scenario.persona.name, scenario.persona.company) == ("Priya Raman", "Ashgrove Analytics")
    assert scenario.title.endswith("at Ashgrove Analytics")
    assert "Ashgrove Analytics uses your billing product" in scenario.rep_brief
    assert "Your adjacent product is the webinar module." in scenario.rep_brief  # the seller's own words for it
    assert "You run finance operations at Ashgrove Analytics" in scenario.situation
    assert "Signalroom's billing product" in scenario.situation  # the customer knows the vendor by name
    assert scenario.lines.greeting == ["Hi, Priya here. Good to hear from you."]
    text = _all_text(scenario)
    for stock in _stock_words("cross_sell_adjacent_pain"):
        assert not re.search(rf"\b{re.escape(stock)}\b", text), stock
    assert scenario.names.customer_company == []  # swapped once; nothing stock is left to swap


def test_a_party_the_call_never_named_gives_way_to_neutral_words_not_a_stock_name():
    from coach.readers import read_path

    card = score_transcript(read_path(LABELLED / "08_teams_signalroom_new_product_send_deck.vtt"))
    assert card.parties.customer_company is None
    scenario = from_scorecard(card)
    assert scenario.id == "practice_send_me_information"
    assert (scenario.persona.name, scenario.persona.company) == ("Nadia Sorensen", "the company")
    assert scenario.rep_brief.startswith("The customer runs your maintenance platform")
    assert "Your adjacent product is Signalroom Ads." in scenario.rep_brief
    assert "You manage plant systems at the company. Signalroom's maintenance platform is fine." in scenario.situation
    assert scenario.title.endswith('"just send me some information" at the customer')
    text = _all_text(scenario)
    for stock in _stock_words("send_me_information"):
        assert not re.search(rf"\b{re.escape(stock)}\b", text), stock


def test_the_calls_trigger_and_signal_come_with_its_names():
    from coach.readers import read_path

    card = score_transcript(read_path(LABELLED / "53_gong_tallyhub_long_renewal_window_year_end_line.json"))
    assert card.trigger.value == "renewal_window" and card.trigger_evidence
    scenario = from_scorecard(card)
    assert scenario.trigger.value == "renewal_window"
    assert f'The signal in your call: "{card.trigger_evidence[0].quote}"' in scenario.rep_brief
    parties = card.parties
    assert parties.customer_person and parties.customer_company and parties.seller_company and parties.products
    assert scenario.persona.name == parties.customer_person.value
    assert scenario.persona.company == parties.customer_company.value == "Corran Architects"
    assert parties.seller_company.value == "Tallyhub" and "Tallyhub's helpdesk" in scenario.situation
    assert f"the {parties.products[0].value}" in scenario.rep_brief


def test_a_scorecard_saved_before_parties_still_drops_the_stock_company(card):
    old = json.loads(card.model_dump_json())
    del old["parties"]  # as stored by earlier versions
    scenario = from_scorecard(parse_json(json.dumps(old)))
    assert scenario.persona.name == "Nina Park" and scenario.persona.company == "the company"
    assert "Atlas" not in _all_text(scenario)


def test_from_scorecard_on_the_command_line_plays_the_calls_names(runner, tmp_path: Path):
    from coach.readers import read_path

    card = score_transcript(read_path(LABELLED / "24_gong_signalroom_feature_list_reask.json"))
    line = "Walk me through how your team handles webinar follow-up today: who owns it, what tools, what's the cycle time?"
    result = play_from_scorecard(runner, tmp_path, card, line)
    session = SessionState.from_json(next(tmp_path.glob("*.session.json")).read_text())
    assert session.scenario.persona.name == "Priya Raman" and session.scenario.persona.company == "Ashgrove Analytics"
    transcript = Transcript.from_json(next(tmp_path.glob("*.transcript.json")).read_text())
    assert [s.name for s in transcript.speakers if s.role.value == "customer"] == ["Priya Raman"]
    assert "Ashgrove Analytics" in result.stdout + result.stderr


def test_restart_starts_the_same_call_again_and_only_the_new_call_is_scored(runner, tmp_path: Path):
    rep = tmp_path / "rep.txt"
    rep.write_text(
        "This is the future of the category.\n/restart\n"
        "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan.\n"
    )
    result = run(runner, "--scenario", "usage_threshold_upsell", "--rep-lines", str(rep), "--no-llm", "--save",
                 str(tmp_path), "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Restarted." in result.stderr
    session = SessionState.from_json(next(tmp_path.glob("*.session.json")).read_text())
    assert [t.text for t in session.turns if t.role == "rep"] == [
        "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan."
    ]
    assert session.notes == [] and session.director.never_says == 0  # the first call's never-say is gone
    verdicts = {i["id"]: i["verdict"] for i in json.loads(result.stdout)["items"]}
    assert verdicts["never_say"] == "pass"  # scored on the new call only
