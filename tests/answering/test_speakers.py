"""Who speaks in each sentence of an article (``answering.speakers``), with real spaCy and the real
MiniLM word vectors: "what did X say?" is answered by speech *by X*, not by a sentence that only
mentions X or where someone else speaks."""

from __future__ import annotations

from typing import Any

import pytest

from answering.answerhood import question_info
from answering.language import Analyzer
from answering.sentences import SentenceCache
from answering.speakers import Asked, SpeechVerbs, asked, attribute, signals

pytestmark = pytest.mark.slow

ARTICLE = [
    "Mayor Ana Reyes toured the flooded district of Millbrook on Tuesday with Tom Okafor.",
    '"The levee did its job, and we will rebuild," the mayor said at a press briefing.',
    "Tom Okafor, the county engineer, met residents later.",
    "He warned that the levee could fail again within a year.",
    "Ms. Ruth Adeyemi, the council leader, spoke to Paul Hart after the briefing.",
    "She said the town had been let down for a decade.",
    '"Nobody listened to us."',
    "According to the Harbour Authority, the water peaked at 3.2 metres.",
    "Reyes was criticised by residents for the slow response.",
    "The Harbour Authority condemned the delays and said repairs would start on Friday.",
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="module")
def speech(embeddings: Any) -> SpeechVerbs:
    return SpeechVerbs(SentenceCache(embeddings).words)


@pytest.fixture(scope="module")
def said(analyzer: Analyzer, speech: SpeechVerbs) -> list[tuple[frozenset[str], ...]]:
    return attribute(analyzer.analyse_many(ARTICLE), speech)


def _speaks(speakers: tuple[frozenset[str], ...], word: str) -> bool:
    return any(word in s for s in speakers)


def test_a_title_is_resolved_to_the_person_the_article_gave_it(said: list[Any]) -> None:
    assert _speaks(said[1], "reyes")  # "the mayor said" after "Mayor Ana Reyes"


def test_a_pronoun_is_resolved_to_the_last_fitting_person(said: list[Any]) -> None:
    assert _speaks(said[3], "okafor")  # "He warned that ..." after "Tom Okafor, ..."
    # "She said" after "Ms. Ruth Adeyemi ... spoke to Paul Hart": the woman, and the subject
    assert _speaks(said[5], "adeyemi") and not _speaks(said[5], "hart")


def test_a_quotation_takes_the_speaker_named_beside_it(said: list[Any]) -> None:
    assert _speaks(said[6], "adeyemi")


def test_a_quotation_left_open_takes_the_speaker_who_closes_it(analyzer: Analyzer, speech: SpeechVerbs) -> None:
    article = [
        "Tom Okafor spoke first at the briefing.",
        '"The levee held.',
        'It will need a new spillway," said Ruth Adeyemi, the council leader.',
    ]
    said = attribute(analyzer.analyse_many(article), speech)
    assert _speaks(said[1], "adeyemi") and not _speaks(said[1], "okafor")


def test_a_quotation_does_not_take_a_speaker_across_sentences_not_read(
    analyzer: Analyzer, speech: SpeechVerbs
) -> None:
    """Only part of an article is read (its opening, a window before each candidate): a
    quotation after a gap is not attributed to the speaker before the gap."""
    first, quote = analyzer.analyse_many(['"We will rebuild," said Ruth Adeyemi.', '"Nobody listened."'])
    assert _speaks(attribute([first, quote], speech)[1], "adeyemi")
    assert attribute([first, None, quote], speech)[2] == ()


def test_according_to_and_a_body_speaking(said: list[Any]) -> None:
    assert _speaks(said[7], "authority")
    assert _speaks(said[9], "authority")


def test_a_mention_is_not_speech(said: list[Any]) -> None:
    assert said[0] == ()  # Reyes and Okafor only named
    assert not _speaks(said[8], "reyes")  # Reyes is spoken of, not speaking
    assert said[2] == ()


@pytest.mark.parametrize(
    ("question", "head", "who"),
    [
        ("What did Ruth Adeyemi say about the flood?", "adeyemi", False),
        ("what did the county engineer warn about", "engineer", False),
        ("According to the Harbour Authority, how high did the water get?", "authority", False),
        ("did reyes say anything about the levee", "reyes", False),
        ("Who said the town had been let down?", "who", True),
    ],
)
def test_whose_speech_a_question_asks_for(
    analyzer: Analyzer, speech: SpeechVerbs, question: str, head: str, who: bool
) -> None:
    q = question_info(question, analyzer)
    got = asked(q.analysis, q.kind, speech)
    assert got is not None
    assert got.who == who
    assert head in got.words | {got.head}


@pytest.mark.parametrize("question", ["What did the police find in the river?", "How high did the water rise?"])
def test_other_questions_ask_for_no_speech(analyzer: Analyzer, speech: SpeechVerbs, question: str) -> None:
    q = question_info(question, analyzer)
    assert asked(q.analysis, q.kind, speech) is None


def test_signals_separate_speech_by_x_from_speech_by_others(said: list[Any]) -> None:
    ask = Asked(frozenset({"ruth", "adeyemi"}), frozenset({"ruth", "adeyemi"}), "adeyemi")
    rows = signals(ask, said, frozenset({"ruth", "adeyemi", "say"}))
    assert rows[5].tolist() == [1.0, 0.0, 1.0, 0.0]  # she (Adeyemi) said
    assert rows[3].tolist() == [0.0, 1.0, 1.0, 0.0]  # Okafor warned
    assert rows[0].tolist() == [0.0, 0.0, 1.0, 0.0]  # nobody speaks
    assert signals(None, said, frozenset()).sum() == 0


# --- through the answering core, over articles written for this test ---------------------------

LEVEE = """Flood repairs begin in Millbrook as the levee holds

Mayor Ana Reyes toured the levee repairs in Millbrook on Tuesday with the county engineer, Tom Okafor.
Residents criticised Mayor Reyes over the slow pace of the levee repairs and the cost of the work.
Okafor told reporters the levee repairs would take at least a year and cost $4 million.
"The levee did its job, but it needs a new spillway," he said.
The council leader, Ruth Adeyemi, did not comment on the levee repairs.
"""

BRIDGE = """Millbrook bridge to reopen next week

The Millbrook bridge, closed since the flood, will reopen next Monday, the county said.
Engineers inspected the bridge on Wednesday and found no damage to its piers.
Traffic will be limited to one lane while the levee repairs continue nearby.
"""


@pytest.fixture(scope="module")
def levee_service(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Any:
    from answering.factory import build_answering
    from newsdesk.settings import Settings
    from tests.answering.fakes import FakeReader, load_corpus

    folder = tmp_path_factory.mktemp("levee-corpus")
    (folder / "levee.txt").write_text(LEVEE, encoding="utf-8")
    (folder / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    data_dir = tmp_path_factory.mktemp("levee-data")
    settings = Settings.model_validate({"data_dir": data_dir, "corpus_dir": folder})
    return build_answering(settings, FakeReader(load_corpus(folder), embeddings), embeddings)


def test_the_answerer_knows_whose_speech_each_candidate_is(levee_service: Any) -> None:
    """Okafor speaks as "Okafor told" and as "he said"; the sentence that names him most
    prominently ("... with the county engineer, Tom Okafor") is not his speech."""
    question = "What did Tom Okafor say about the levee repairs?"
    answerer = levee_service.answerer
    sc = answerer.score(question, levee_service.retrieve(question))
    assert sc.speech is not None
    by = {c.span.text: bool(sc.speech[i, 0]) for i, c in enumerate(sc.cands)}
    assert by, "no candidates"
    assert by.get("Okafor told reporters the levee repairs would take at least a year and cost $4 million.")
    assert by.get('"The levee did its job, but it needs a new spillway," he said.')
    assert not by.get(LEVEE.splitlines()[2])  # "Mayor Ana Reyes toured ... Tom Okafor."
    answer = answerer.answer(question, levee_service.retrieve(question))
    assert not answer.refused
    assert "at least a year" in answer.answer or "new spillway" in answer.answer  # his, not a mention
    cost = "How much will the levee repairs cost?"
    other = answerer.score(cost, levee_service.retrieve(cost))
    assert other.speech is None  # asks for no one's speech


@pytest.mark.parametrize(
    "question",
    [
        "What did Mayor Reyes say about the levee repairs?",  # only spoken of
        "What did Ruth Adeyemi say about the levee repairs?",  # named, never speaks
    ],
)
def test_someone_who_never_speaks_on_it_gets_a_refusal(levee_service: Any, question: str) -> None:
    result = levee_service.answer(question)
    assert result.refused, result.answer
