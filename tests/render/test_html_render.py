from html.parser import HTMLParser

import pytest

from coach.render.html import render_html
from coach.scorecard import Metrics, Verdict


class Page(HTMLParser):
    """Collects what the assertions need: elements with their attributes and the text inside <mark>."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.marked: list[str] = []
        self._in_mark = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "mark":
            self._in_mark += 1
            self.marked.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark -= 1

    def handle_data(self, data):
        if self._in_mark:
            self.marked[-1] += data

    def tags(self, name):
        return [attrs for tag, attrs in self.elements if tag == name]

    def ids(self):
        return [attrs["id"] for _, attrs in self.elements if "id" in attrs]

    def by_id(self, element_id):
        return next(attrs for _, attrs in self.elements if attrs.get("id") == element_id)


@pytest.fixture
def page_text(card, call):
    return render_html(card, call)


@pytest.fixture
def page(page_text):
    return Page(page_text)


def test_page_is_self_contained(page_text, page):
    assert not page.tags("link") and not page.tags("img") and not page.tags("iframe")
    assert not page.tags("script"), "the page needs no script, and transcript text must not become one"
    assert not any("src" in attrs for _, attrs in page.elements)
    assert "http://" not in page_text and "https://" not in page_text
    assert "@import" not in page_text and "url(" not in page_text


def test_transcript_text_is_escaped(page_text):
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; it&#39;s | *painful*" in page_text


def test_page_has_accessible_landmarks(page):
    assert page.tags("html")[0]["lang"] == "en"
    assert len(page.tags("h1")) == 1 and len(page.tags("main")) == 1
    assert page.tags("nav")[0]["aria-label"]
    ids = page.ids()
    assert len(ids) == len(set(ids)), "ids must be unique"
    for article in page.tags("article"):
        assert article["aria-labelledby"] in ids
    assert page.tags("th"), "metrics are a table with header cells"
    assert all(th.get("scope") in {"col", "row"} for th in page.tags("th"))


def test_every_internal_link_lands_somewhere(page):
    ids = set(page.ids())
    hrefs = [a["href"] for a in page.tags("a")]
    assert hrefs
    for href in hrefs:
        assert href.startswith("#") and href[1:] in ids, href


def test_evidence_turns_are_highlighted_and_linked_both_ways(card, call, page):
    hrefs = {a["href"] for a in page.tags("a")}
    for item in card.items:
        assert f"#item-{item.id}" in hrefs
        for evidence in item.evidence:
            assert f"#turn-{evidence.turn}" in hrefs
            assert "cited" in page.by_id(f"turn-{evidence.turn}")["class"].split()
    cited_turns = {e.turn for i in card.items for e in i.evidence} | {e.turn for e in card.motion_evidence + card.trigger_evidence}
    for turn in call.turns:
        classes = page.by_id(f"turn-{turn.index}")["class"].split()
        assert f"role-{call.role_of(turn).value}" in classes
        assert ("cited" in classes) == (turn.index in cited_turns)
    assert "Let me send you a deck" in page.marked
    assert "Our close takes eight days" in page.marked  # trigger evidence
    assert "cited" in page.by_id("turn-3")["class"].split()
    assert "We can give you a discount if you decide this quarter" in page.marked


def test_turn_times_are_machine_readable(call, page):
    times = page.tags("time")
    assert len(times) == len(call.turns)
    assert times[-1]["datetime"] == "PT3725S"


def test_advice_sits_beside_its_item(card, page_text):
    for item in card.items:
        start = page_text.index(f'<article class="item v-{item.verdict.value}" id="item-{item.id}"')
        end = page_text.index("</article>", start)
        article = page_text[start:end]
        assert ('<aside class="advice"' in article) == bool(item.advice)
        if item.advice:
            assert item.advice.replace("'", "&#39;") in article
        label = {"pass": "Pass", "fail": "Fail", "not_applicable": "Not applicable"}[item.verdict.value]
        assert label in article
    assert "Never-say phrases" in page_text


def test_metrics_and_facts_are_shown(page_text):
    assert "<th scope=\"row\">Seller talk ratio</th><td>0.62</td>" in page_text
    assert "<dd>39/100</dd>" in page_text
    assert '<dd>cross-sell (<a href="#turn-6">turn 6 · Dan Ortiz · 1:10</a>)</dd>' in page_text
    assert "role inferred from what they said" in page_text
    assert "<dd>ok · local model qwen2.5-1.5b-instruct · 1 item graded</dd>" in page_text
    assert '<p class="reason">no active renewal negotiation or open escalation was mentioned</p>' in page_text
    assert page_text.count('class="disputed"') == 1


def test_renders_without_transcript_or_items(card):
    card.items = []
    card.metrics = Metrics()
    page = Page(render_html(card))
    assert not page.tags("ol")
    assert not page.tags("table")
    assert all(a["href"] == "#main" for a in page.tags("a")), "no turn links without a transcript"


def test_summary_counts_verdicts(card, page_text):
    fails = sum(1 for i in card.items if i.verdict is Verdict.fail)
    assert f"{fails} fail" in page_text
