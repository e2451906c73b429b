"""assist.flags: the rules that read the words - abusive language and personal data in replies."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from assist.flags import FlagConfig, evaluate
from assist.flags.abuse import Lexicon, lexicon, phrase_pattern, tokens
from assist.flags.pii import CustomerWords, card_numbers, leaks, own_contacts
from tests.test_flags import conversation, cust

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


# -- the lexicon -----------------------------------------------------------------------------


def test_the_bundled_lexicon_is_small_and_well_formed() -> None:
    lex = lexicon()
    assert 50 <= len(lex.entries) <= 100
    assert {c for c, _ in lex.entries} == {"profanity", "slur", "insult", "threat"}
    assert len({p for _, p in lex.entries}) == len(lex.entries)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("You are an IDIOT!!", "idiot"),
        ("what a fuuuuucking joke", "fucking"),
        ("f*ck this shop", "fuck"),
        ("this is sh1t", "shit"),
        ("you a$$hole", "asshole"),
        ("F**K OFF", "fuck off"),
        ("I’ll find you", "i'll find you"),
        ("you're useless", "you're useless"),
        ("Shut up.", "shut up"),
        ("morons, all of you", "morons"),
    ],
)
def test_abuse_is_found_through_case_punctuation_and_obfuscation(text: str, phrase: str) -> None:
    hit = lexicon().worst(text)
    assert hit is not None and hit.phrase == phrase


@pytest.mark.parametrize(
    "text",
    [
        "My assistant class in Scunthorpe was a pass",
        "the cocktail at the Sussex hotel",
        "what the hell, this is a damn stupid app",  # frustrated, not abusive
        "****",  # already censored: nothing to read
        "you're useful",
        "flame retardant jacket",
        "Killing time until my parcel comes",
    ],
)
def test_abuse_needs_whole_words_of_the_lexicon(text: str) -> None:
    assert lexicon().find(text) == []


def test_the_worst_category_wins_and_swear_words_are_starred() -> None:
    hit = lexicon().worst("you idiot, fuck off or I will kill you")
    assert hit is not None and hit.category == "threat"
    hit = lexicon().worst("f**k off")
    assert hit is not None and hit.shown == "f**k off"
    hit = lexicon().worst("piece of sh!t")
    assert hit is not None and hit.shown == "piece of s**t"


def test_lexicon_parsing_rejects_bad_lines_and_matching_is_linear() -> None:
    with pytest.raises(ValueError, match="line 2"):
        Lexicon.parse("insult\tidiot\nrude words\n")
    assert tokens("You're an IDIOT!!!") == "you re an idiot"
    assert phrase_pattern("ss").count("{2,}+") == 1  # a doubled letter is one possessive run
    # near-misses of the longest tokens it reads, thousands of times: still quick
    hostile = ("f" + "*" * 39 + " ") * 5000 + ("a" + "s" * 39 + " ") * 5000 + "idiot " * 1000
    start = time.perf_counter()
    assert len(lexicon().find(hostile)) == 1000
    assert time.perf_counter() - start < 5.0


# -- the abusive rule ------------------------------------------------------------------------


def test_abusive_flags_customers_and_agents_once_per_run_each() -> None:
    conv = conversation(
        ("customer", "you idiot"),
        ("customer", "useless morons"),  # same customer episode
        ("agent", "Calm down, idiot."),  # the agent's own episode
        ("customer", "ok where is my parcel"),
        ("customer", "f*ck"),  # a new customer episode
    )
    flags = [f for f in evaluate(conv, now=NOW) if f.reason == "abusive"]
    assert [(f.message_index, f.severity) for f in flags] == [(0, "high"), (2, "high"), (4, "high")]
    assert flags[0].detail == 'customer message contains an insult ("idiot")'
    assert flags[1].detail.startswith("agent message contains an insult")
    assert flags[2].detail == 'customer message contains profanity ("f**k")'


# -- personal data in replies ----------------------------------------------------------------


def test_card_numbers_need_13_to_19_digits_and_luhn() -> None:
    assert [d for _, _, d in card_numbers("card 4111 1111 1111 1111.")] == ["4111111111111111"]
    assert [d for _, _, d in card_numbers("4111-1111-1111-1111")] == ["4111111111111111"]
    assert [d for _, _, d in card_numbers("amex 378282246310005")] == ["378282246310005"]
    assert card_numbers("4111 1111 1111 1112") == []  # Luhn fails
    assert card_numbers("order 48213977") == []  # too short
    assert card_numbers("00000000000000") == []  # a placeholder, not a card
    assert card_numbers("tracking 41111111111111111111") == []  # 20 digits


def test_contacts_the_customer_gave_are_not_leaks() -> None:
    words = CustomerWords()
    words.add("reach me at Ann.Lee@mail.test or 415-555-2671")
    assert leaks("We'll mail ann.lee@mail.test and call +1 (415) 555 2671.", words) == []
    found = leaks("Try bob@other.test or call 020 7946 0958", words)
    assert [leak.kind for leak in found] == ["email", "phone"]
    assert "bob@other.test" not in found[0].masked and "b***@other.test" in found[0].masked


def test_the_shops_own_contacts_are_not_leaks() -> None:
    own = own_contacts(["support@example.com", "+1 555 0100", "Example Shop"])
    words = CustomerWords()
    assert leaks("Write to support@example.com or call +1 555 0100.", words, own) == []


def test_pii_rule_flags_agent_replies_only_and_never_repeats_the_data() -> None:
    conv = conversation(
        ("customer", "my card 4111 1111 1111 1111 was charged twice, email me: me@home.test"),
        ("agent", "I see card 4111 1111 1111 1111; writing to me@home.test."),
        ("agent", "Also your neighbour jo@next.door.test called"),  # same run
        ("agent", "Your refund is on its way."),
        ("agent", "Call our partner on 020 7946 0958"),
    )
    flags = [f for f in evaluate(conv, now=NOW) if f.reason == "pii_in_reply"]
    assert [(f.message_index, f.severity) for f in flags] == [(1, "high"), (4, "high")]
    assert flags[0].detail == "agent reply contains a payment card number ending 1111"
    assert "ending 58" in flags[1].detail and "0958" not in flags[1].detail


def test_pii_rule_uses_the_configured_own_contacts() -> None:
    conv = conversation(cust(), ("agent", "Mail us at help@shop.test"))
    assert [f.reason for f in evaluate(conv, now=NOW)] == ["pii_in_reply"]
    config = FlagConfig(own_contacts=("help@shop.test",))
    assert evaluate(conv, config, now=NOW) == []
