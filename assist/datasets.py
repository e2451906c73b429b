"""Loaders and deterministic splits of the public text datasets, for recipes and `assist eval`.

Pure python (csv/json), so `assist eval` can run on an installed app without the build extras.
Every split is decided by hashing a stable key (never by random state), so the recipes that train
the heads and the evaluation that scores them always agree on which rows are held out.

Intent dev rows are *unseen phrasings*: Bitext rows are generated from templates, so most rows
have near-twins that differ only in an order number or a filler word ("I need help to cancel
purchase X" / "I need assistance cancelling purchase Y"). Rows are grouped by their set of
content words (entity, digits, fillers and suffixes removed) and whole groups are held out.

Out-of-scope rows come from CLINC150: its oos queries plus whole CLINC intents that a shop's
customer would not raise. Intents that overlap a shop's (order status, cancel, card declined,
greetings and thanks...) are left out entirely, neither `other` nor in-scope.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from assist.paths import data_dir

OTHER = "other"
SENTIMENT_LABELS = ("negative", "neutral", "positive")
IntentSplit = Literal["train", "calib", "dev"]
SentimentSplit = Literal["train", "dev"]

# CLINC150 intents too close to a shop's conversation to call them out of scope (see the data
# README): a shop customer says these, and several are one of the 27 intents in other words.
CLINC_AMBIGUOUS = frozenset(
    {
        "order_status",
        "order",
        "card_declined",
        "cancel",
        "thank_you",
        "greeting",
        "goodbye",
        "yes",
        "no",
        "maybe",
        "repeat",
        "what_can_i_ask_you",
        "are_you_a_bot",
        "change_user_name",
        "user_name",
        "account_blocked",
        "freeze_account",
        "pin_change",
        "shopping_list",
        "shopping_list_update",
        "redeem_rewards",
        "rewards_balance",
        "transactions",
        "spending_history",
        "pay_bill",
        "bill_balance",
        "bill_due",
        "cancel_reservation",
        "confirm_reservation",
        "report_fraud",
        "order_checks",
        "make_call",
        "text",
        "who_do_you_work_for",
    }
)

# Banking77 categories about things no shop handles (cash, top-ups, FX); the rest of banking77
# overlaps refunds, payments and accounts, so it is not used.
BANKING_OTHER = frozenset(
    {
        "exchange_rate",
        "atm_support",
        "cash_withdrawal_charge",
        "declined_cash_withdrawal",
        "top_up_limits",
        "top_up_failed",
        "automatic_top_up",
        "pending_top_up",
        "fiat_currency_support",
        "exchange_via_app",
        "beneficiary_not_allowed",
        "transfer_timing",
        "receiving_money",
        "pin_blocked",
        "card_swallowed",
        "wrong_amount_of_cash_received",
        "exchange_charge",
        "pending_cash_withdrawal",
        "top_up_by_cash_or_cheque",
        "wrong_exchange_rate_for_cash_withdrawal",
    }
)

_FILLER_WORDS = """
    i me my we our you your a an the to of for in on at with from and or is are be am was it
    this that do does did can could would will should shall may might must please help assistance
    assist need want wanna like id im ive know how what where when which who why there here some
    any get got have has had not dont cant see tell show let about by into if so just gonna gotta
    trying try ya u ur pls plz hey hi hello thanks thank"""
_FILLERS = frozenset(_FILLER_WORDS.split())


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def bucket(key: str, salt: str, n: int = 100) -> int:
    """A stable bucket in [0, n) for ``key``: the same on every machine and Python run."""
    digest = hashlib.sha1(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def phrasing_key(text: str, entity: str = "", start: str = "", end: str = "") -> str:
    """The content words of a Bitext row, so near-twin rows share a key (and a split)."""
    if start and end and text[int(start) : int(end)] == entity:
        text = text[: int(start)] + " " + text[int(end) :]
    words = re.sub(r"[^a-z ]+", " ", text.lower().replace("'", "")).split()
    content = {re.sub(r"(ing|ed|es|s)$", "", w) for w in words if w not in _FILLERS and len(w) > 1}
    return " ".join(sorted(content))


def _intent_split_of(key: str) -> IntentSplit:
    b = bucket(key, "bitext-intent", 10)
    return "dev" if b < 2 else "calib" if b < 4 else "train"


@cache
def _bitext(root: Path) -> tuple[tuple[Example, IntentSplit], ...]:
    with open(root / "bitext" / "pairs.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        (
            Example(r["instruction"], r["intent"]),
            _intent_split_of(
                phrasing_key(
                    r["instruction"], r["entity_value"], r["start_offset"], r["end_offset"]
                )
            ),
        )
        for r in rows
    )


def intent_labels(root: Path | None = None) -> list[str]:
    """Bitext's 27 intents, sorted, then ``other``: the label set of the intent head."""
    return sorted({ex.label for ex, _ in _bitext(root or data_dir())}) + [OTHER]


def intent_split(split: IntentSplit, root: Path | None = None) -> list[Example]:
    """In-scope Bitext rows of one split (train / calib for thresholds / dev for eval)."""
    return [ex for ex, s in _bitext(root or data_dir()) if s == split]


@cache
def _clinc(root: Path) -> dict[str, list[list[str]]]:
    with open(root / "clinc150" / "data.json", encoding="utf-8") as f:
        data: dict[str, list[list[str]]] = json.load(f)
    return data


def _oos_intent_split(intent: str) -> IntentSplit:
    b = bucket(intent, "clinc-oos", 10)
    return "dev" if b < 2 else "calib" if b < 4 else "train"


def oos_split(
    split: IntentSplit, root: Path | None = None, per_intent: int | None = None
) -> list[Example]:
    """Out-of-scope queries labelled ``other``; dev and calib use CLINC intents unseen in train.

    train: CLINC oos_train + train rows of the train-side non-shop intents (+ banking77 extras);
    calib / dev: CLINC val rows of held-out non-shop intents, dev also CLINC oos_val.
    ``per_intent`` caps the rows taken from each CLINC intent (the first ones, in file order).
    """
    root = root or data_dir()
    clinc = _clinc(root)
    out: list[Example] = []
    if split == "train":
        out += [Example(t, OTHER) for t, _ in clinc["oos_train"]]
        rows = clinc["train"]
    else:
        if split == "dev":
            out += [Example(t, OTHER) for t, _ in clinc["oos_val"]]
        rows = clinc["val"]
    taken: dict[str, int] = {}
    for text, intent in rows:
        if intent in CLINC_AMBIGUOUS or _oos_intent_split(intent) != split:
            continue
        taken[intent] = taken.get(intent, 0) + 1
        if per_intent is None or taken[intent] <= per_intent:
            out.append(Example(text, OTHER))
    if split == "train":
        out += banking_other(root)
    return out


# Everyday phrasings of Bitext intents from the other datasets: Bitext's 27 intents come from
# templates ("I need assistance to track purchase X"), so short natural questions ("where is
# my package?") were often misread. These rows only ever go to the intent head's training
# data, never to an evaluation split.
CLINC_AS_SHOP = {
    "order_status": "track_order",
    "card_declined": "payment_issue",
    "order": "place_order",
}
BANKING_AS_SHOP = {
    "Refund_not_showing_up": "track_refund",
    "request_refund": "get_refund",
    "declined_card_payment": "payment_issue",
    "terminate_account": "delete_account",
    "passcode_forgotten": "recover_password",
}


def shop_paraphrases(root: Path | None = None, per_banking_category: int = 40) -> list[Example]:
    """CLINC150 (train + val) and banking77 rows relabelled with the Bitext intent they mean."""
    root = root or data_dir()
    clinc = _clinc(root)
    out = [
        Example(text, CLINC_AS_SHOP[intent])
        for text, intent in clinc["train"] + clinc["val"]
        if intent in CLINC_AS_SHOP
    ]
    seen: dict[str, int] = {}
    with open(root / "banking77" / "train.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cat = row["category"]
            if cat in BANKING_AS_SHOP and seen.get(cat, 0) < per_banking_category:
                seen[cat] = seen.get(cat, 0) + 1
                out.append(Example(row["text"], BANKING_AS_SHOP[cat]))
    return out


def banking_other(root: Path | None = None, per_category: int = 20) -> list[Example]:
    """A few banking77 queries per clearly non-shop category, as extra ``other`` examples."""
    seen: dict[str, int] = {}
    out = []
    with open((root or data_dir()) / "banking77" / "train.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cat = row["category"]
            if cat in BANKING_OTHER and seen.get(cat, 0) < per_category:
                seen[cat] = seen.get(cat, 0) + 1
                out.append(Example(row["text"], OTHER))
    return out


@cache
def _tweets(root: Path) -> tuple[Example, ...]:
    folder = root / "tweeteval" / "sentiment"
    texts = (folder / "train_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (folder / "train_labels.txt").read_text(encoding="utf-8").split()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels")
    return tuple(Example(t, SENTIMENT_LABELS[int(y)]) for t, y in zip(texts, labels, strict=True))


def sentiment_split(split: SentimentSplit, root: Path | None = None) -> list[Example]:
    """TweetEval sentiment rows; dev is 15% chosen by a hash of the text (duplicates stay together).

    The file is TweetEval's published *test* split (its train split is not available here), so
    our dev figures are i.i.d. with our train and not comparable to the TweetEval leaderboard.
    """
    want_dev = split == "dev"
    return [
        ex
        for ex in _tweets(root or data_dir())
        if (bucket(ex.text, "tweeteval-sentiment") < 15) == want_dev
    ]
