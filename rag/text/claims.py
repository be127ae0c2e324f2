"""The claims a text states and whether other text holds them (pure): names, amounts (numbers with their scale,
currency or percent), number words and quoted phrases, compared in one folded spelling. The question check,
the sentence selection and the verification all read claims through this module.

Matching rules: a person is found by the surname ("President Joe Biden" by "Biden"), a place whose first word
sets it apart ("South Sudan", "New Zealand") or a name ending in a generic word ("Manchester United") only as a
whole, a name with "of" ("Bank of England") by all of its words; a name's other forms only by endings that
make a people or an adjective of a place ("Ukrainian" for "Ukraine", never "marks" for "Mark" nor "Indiana"
for "India"); an amount by its value ("$2.5bn" is 2,500,000,000 dollars: "2.5 billion" holds it, "£2.5bn" and
"2" do not)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.markers import MARKER
from rag.text.sentences import sentence_spans
from rag.text.words import STOPWORDS

# Capitalised words that name no one: question and sentence openers, months, days, titles, name glue.
NOT_NAMES = frozenset(
    """i a an the this that these those what which who whom whose when where why how is are was
were do does did has have had can could will would should may might must and or but of in on at to for from by
with about as after before since during if yes no not also however meanwhile both there it its they their he his
she her we our some many most all several other another each while although because despite following based
overall today yesterday earlier later now then here currently recently according name list describe explain tell
give january february march april june july august september october november december monday tuesday
wednesday thursday friday saturday sunday mr mrs ms dr sir st president prime minister secretary chancellor
governor senator king queen prince pope general ceo chairman chief head leader director judge justice court
supreme house senate congress parliament government department ministry state party university company inc corp
news report reports article articles passage passages source sources new first last""".split()
)
# A first word that makes another place of the rest ("South Sudan" is not Sudan): such names match as a whole.
_SETS_APART = frozenset("north south east west northern southern eastern western central upper lower greater".split())
# A last word many names share ("Manchester United", "New York Times"): such names match as a whole.
_GENERIC_LAST = frozenset(
    """united city state states times post news group party union republic kingdom airlines airways bank
club county island islands league association council committee foundation institute times journal review
garden gardens park square street road avenue bridge palace castle church cathedral tower river lake mountain
mountains valley bay sea ocean gate museum library station airport stadium hospital school college centre center
building prize award cup war""".split()
)
_CONNECTORS = frozenset("of de la van von al bin".split())
# Endings that make a people or an adjective of a place ("Ukrain-e" ~ "Ukrain-ian"); no plural "s" of a name.
_NAME_ENDINGS = ("ians", "ian", "ans", "an", "ese", "ish", "is", "i", "ic", "ns", "n", "e", "a", "o", "y")
MIN_STEM = 4
# Nationality words whose country is spelled differently (regular ones match by their endings).
DEMONYMS = {
    "french": "france",
    "dutch": "netherlands",
    "swiss": "switzerland",
    "british": "britain",
    "english": "england",
    "welsh": "wales",
    "scottish": "scotland",
    "irish": "ireland",
    "spanish": "spain",
    "turkish": "turkey",
    "swedish": "sweden",
    "danish": "denmark",
    "finnish": "finland",
    "polish": "poland",
    "norwegian": "norway",
    "filipino": "philippines",
    "thai": "thailand",
    "icelandic": "iceland",
    "lebanese": "lebanon",
    "greek": "greece",
    "peruvian": "peru",
}
ALIASES = {
    "us": ("united states", "america", "american"),
    "usa": ("united states", "america"),
    "uk": ("united kingdom", "britain", "british"),
    "eu": ("european union",),
    "un": ("united nations",),
    "uae": ("united arab emirates",),
}
_SHORT_FORMS: dict[str, list[str]] = {}
for _short, _longs in ALIASES.items():
    for _long in _longs:
        _SHORT_FORMS.setdefault(_long, []).append(_short)
NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if value >= 2
}
NUMBER_WORDS.update(
    {word: 10 * tens for tens, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), start=3)}
)
_QUOTE_MARKS = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "„": '"'})
_NAME_RUN = re.compile(r"(?<!\w)(?<!\w')[A-Z][\w'.&-]*(?:\s+(?:(?:of|the|de|la|van|von|al|bin)\s+)?[A-Z][\w'.&-]*)*")
_OPENERS = re.compile(
    r"^(?:(?:" + "|".join(w.capitalize() for w in sorted(NOT_NAMES) if w != "the") + r")\s+)+(?=[A-Z])"
)  # capitalised words that open a name run
_SAYING = (
    r"(?:said|says|say|told|tells|stated|stressed|warned|added|noted|argued|claimed|insisted|declared|wrote|"
    r"replied|explained)\b"
)  # verbs that quote or report words, not acts ("announced" a plan is an act)
_PRONOUNS = frozenset({"he", "she", "they"})
_SPEAKER_BEFORE = re.compile(rf"(?P<name>{_NAME_RUN.pattern}|\b(?:he|she|they)\b)(?:\s+[a-z]+){{0,3}}?\s+{_SAYING}")
_SPEAKER_AFTER = re.compile(rf"\b(?:said|says)\s+(?P<name>{_NAME_RUN.pattern})(?=\s*(?:[,.;]|$))")
_ROLE_SPEAKER = re.compile(  # "the former U.S. president enthusiastically declared": a person named by a role
    r"\b(?:[Tt]he|[Aa]n?)\s+(?:[\w.'’-]+\s+){0,3}?(?:president|prime minister|minister|chancellor|spokes(?:person|man|"
    r"woman)|leader|official|secretary|governor|mayor|chief|chair(?:man|woman)?|ambassador|envoy|senator|general|"
    rf"commander|director|executive|king|queen)\b(?:\s+[a-z]+){{0,2}}?\s+{_SAYING}"
)
_SPACED_INITIALS = re.compile(r"\b([A-Za-z])\. (?=[A-Za-z]\.)")  # "U. S." is "U.S."
_QUOTED = re.compile(r"\"([^\"]{3,80})\"")
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_SCALES |= {"trillion": 1e12, "tn": 1e12}
_CURRENCIES = {"$": "dollar", "us$": "dollar", "usd": "dollar", "dollars": "dollar", "dollar": "dollar"}
_CURRENCIES |= {"€": "euro", "eur": "euro", "euros": "euro", "euro": "euro", "£": "pound", "gbp": "pound"}
_CURRENCIES |= {"pounds": "pound", "¥": "yen", "yen": "yen", "%": "percent", "percent": "percent"}
_CURRENCIES |= {"per cent": "percent"}
_AMOUNT = re.compile(
    r"(?<![\w.,])(?P<currency>US\$|\$|€|£|¥|(?:USD|EUR|GBP)\s?)?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:(?P<short>bn|mn|tn|m|k)\b|\s?(?P<scale>thousand|million|billion|trillion)\b|\b)"
    r"(?:\s?(?P<unit>%|per ?cent\b|dollars\b|euros\b|pounds\b|yen\b))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    """A number as a value, with what it counts when the text says so (dollar, euro, pound, yen, percent)."""

    value: float
    unit: str | None = None

    def matches(self, other: Amount) -> bool:
        """The same value (to one part in a million), and no two different units."""
        same = abs(self.value - other.value) <= 1e-6 * max(abs(self.value), abs(other.value), 1e-9)
        return same and (self.unit is None or other.unit is None or self.unit == other.unit)


def fold(text: str) -> str:
    """Lowercase, accents off, possessives and acronym dots dropped ("U.S." and "U. S." -> "us"), thousands
    separators removed: the form in which the question's and the passages' spellings are compared ("Orbán’s"
    -> "orban")."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTE_MARKS)).encode("ascii", "ignore").decode("ascii")
    text = _SPACED_INITIALS.sub(r"\1.", text).lower()
    text = re.sub(r"\b([a-z](?:\.[a-z])+)\.?(?![a-z])", lambda m: m.group(1).replace(".", ""), text)
    text = re.sub(r"(\d),(?=\d{3}\b)", r"\1", text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", r"\1", text)  # "10th" -> "10"
    return re.sub(r"'s\b|'", "", text)


def words(text: str) -> list[str]:
    """The folded words of a text ("2.5" stays one word)."""
    return re.findall(r"[a-z0-9]+(?:\.\d+)?", fold(text))


def amounts(text: str) -> list[Amount]:
    """The numbers a text states, with their scale and unit ("$2.5bn" -> 2.5e9 dollars, "40 per cent")."""
    found = []
    for match in _AMOUNT.finditer(text.translate(_QUOTE_MARKS)):
        value = float(match["number"].replace(",", ""))
        value *= _SCALES.get((match["short"] or match["scale"] or "").lower(), 1.0)
        currency = (match["currency"] or "").strip().lower()
        unit = _CURRENCIES.get(currency) or _CURRENCIES.get(
            re.sub(r"per ?cent", "per cent", (match["unit"] or "").lower())
        )
        found.append(Amount(value, unit))
    return found


def is_amount(claim: str) -> bool:
    """True for a claim that is a number ("2024", "$2.5bn", "40%")."""
    return bool(_AMOUNT.fullmatch(claim.strip()))


def stems(word: str, endings: Sequence[str] = _NAME_ENDINGS) -> set[str]:
    """The word and what is left of it without one of the endings (at least MIN_STEM letters)."""
    return {word} | {word[: -len(end)] for end in endings if word.endswith(end) and len(word) - len(end) >= MIN_STEM}


def same_name(word: str, other: str) -> bool:
    """ "ukraine" ~ "ukrainian", "china" ~ "chinese", "iran" ~ "iranians": one name in its forms; not
    "mark" ~ "marks" nor "india" ~ "indiana"."""
    return word == other or (not word[0].isdigit() and bool(stems(word) & stems(other)))


def same_family(word: str, other: str) -> bool:
    """ "negotiate" ~ "negotiations", "democrats" ~ "democratic": an ordinary word in other forms (shared start of
    at least four letters, all but one letter of the shorter word)."""
    if word == other:
        return True
    if word[0].isdigit() or other[0].isdigit():
        return False
    shared = 0
    while shared < min(len(word), len(other)) and word[shared] == other[shared]:
        shared += 1
    return shared >= 4 and shared >= min(len(word), len(other)) - 1


class Haystack:
    """The words and amounts of some texts (passages with title, source, date), to look up what a claim names."""

    def __init__(self, texts: Iterable[str]) -> None:
        texts = list(texts)
        self.words = words(" ".join(texts))
        self.text = f" {' '.join(self.words)} "
        self.amounts = [amount for text in texts for amount in amounts(text)]
        self.amounts += [Amount(NUMBER_WORDS[word]) for word in self.words if word in NUMBER_WORDS]
        self._by_start: dict[str, set[str]] = {}
        for word in self.words:
            self._by_start.setdefault(word[:MIN_STEM], set()).add(word)

    @classmethod
    def union(cls, haystacks: Iterable[Haystack]) -> Haystack:
        """One haystack holding what all of them hold."""
        joined = cls([])
        for haystack in haystacks:
            joined.words += haystack.words
            joined.amounts += haystack.amounts
            for start, found in haystack._by_start.items():
                joined._by_start.setdefault(start, set()).update(found)
        joined.text = f" {' '.join(joined.words)} "
        return joined

    def has_word(self, word: str, name: bool = False) -> bool:
        """The word, a form of it (a name: "Ukrainian" for "Ukraine"; an ordinary word: "negotiations" for
        "negotiate"), its number, its country ("French": "France") or an alias ("US": "United States")."""
        forms = {word, DEMONYMS.get(word, word), str(NUMBER_WORDS.get(word, word))}
        forms |= {w for w, n in NUMBER_WORDS.items() if str(n) == word} | set(ALIASES.get(word, ()))
        forms |= {people for people, country in DEMONYMS.items() if country == word}
        if any(f" {form} " in self.text for form in forms):
            return True
        alike = same_name if name else same_family
        return any(
            alike(form, other) for form in forms if " " not in form for other in self._by_start.get(form[:MIN_STEM], ())
        )

    def has_phrase(self, phrase: Sequence[str]) -> bool:
        """The words in a row, the last one in any of its name forms ("North Korean" for "North Korea")."""
        follows = re.compile(rf" {re.escape(' '.join(phrase[:-1]))} (\S+)(?= )")
        return any(same_name(phrase[-1], match.group(1)) for match in follows.finditer(self.text))

    def has_amount(self, amount: Amount) -> bool:
        """True when the texts state the same value with no other unit."""
        return any(amount.matches(other) for other in self.amounts)

    def has(self, claim: str) -> bool:
        """True when the texts hold the claim: an amount by its value, a number word by its number, a quoted
        phrase by all of its words, a name by the words that single it out (see the module's rules)."""
        if is_amount(claim):
            return all(self.has_amount(amount) for amount in amounts(claim))
        named = words(claim)
        if not named:
            return True
        if any(f" {short} " in self.text for short in _SHORT_FORMS.get(" ".join(named), ())):
            return True  # "United States" by "U.S."
        if claim.startswith('"'):
            return all(self.has_word(w) for w in named if w not in STOPWORDS)
        if len(named) == 1 and named[0] in NUMBER_WORDS:
            return self.has_word(named[0])
        own = [w for w in named if w not in NOT_NAMES] or named  # "President Biden" is "Biden"
        if len(own) > 1 and (own[0] in _SETS_APART or own[-1] in _GENERIC_LAST):
            return self.has_phrase(own)  # "South Sudan", "Manchester United" as a whole
        if any(w in _CONNECTORS for w in named):
            return all(self.has_word(w, name=True) for w in own if w not in _CONNECTORS)  # "Bank of England"
        return self.has_word(own[-1], name=True)  # a person by the surname

    def as_held(self, claim: str) -> str:
        """The claim as these texts hold it: a person's name less the given names they lack ("Sam Bankman-Fried"
        is "Bankman-Fried" to texts that write only that, "President Joe Biden" is "Biden" to texts without
        "President" and "Joe"); a claim they do not hold, or hold whole, as it is."""
        if is_amount(claim) or claim.startswith('"') or not self.has(claim):
            return claim
        kept = [
            token
            for token in _SPACED_INITIALS.sub(r"\1.", claim).split()
            if all(word in _CONNECTORS or word in STOPWORDS or self.has_word(word, name=True) for word in words(token))
        ]
        return " ".join(kept) if kept else claim


def amount_texts(text: str) -> list[str]:
    """The amounts a text states, as written ("$2.5bn", "35,000", "14 million euros")."""
    return [m.group(0).strip().rstrip(".,") for m in _AMOUNT.finditer(text.translate(_QUOTE_MARKS))]


def specifics(text: str, opening_words: bool = False) -> list[str]:
    """The names, amounts, number words and quoted phrases a text states, in order of kind. A capitalised word
    opening a sentence is a name only when another capitalised word follows it ("Jens Stoltenberg said"), or,
    with opening_words (answer sentences), when it is no common opener ("Budapest hosted ...")."""
    text = MARKER.sub(" ", text).translate(_QUOTE_MARKS)
    found: list[str] = [f'"{m.group(1)}"' for m in _QUOTED.finditer(text)]
    found += [m.group(0).strip().rstrip(".,") for m in _AMOUNT.finditer(text)]
    found += [w for w in re.findall(r"[a-z]+", text.lower()) if w in NUMBER_WORDS]
    capitals = re.findall(r"[A-Za-z]+", text)
    if not opening_words and len(capitals) >= 4 and sum(w[0].isupper() for w in capitals) > 0.7 * len(capitals):
        # a question in title case ("What Happened Last Week?"): its capitals name nothing
        return list(dict.fromkeys(found))
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        for match in _NAME_RUN.finditer(sentence):
            run = match.group(0).rstrip(".'-")
            own = [w for w in words(run) if w not in NOT_NAMES and w not in STOPWORDS]
            if not own:
                continue
            opens = not sentence[: match.start()].strip(" \"'(-")
            if opens and " " not in run and not (opening_words and _looks_like_name(own[0])):
                continue  # "Where ...", "Leaders met ...": a sentence's first word is capitalised anyway
            found.append(_OPENERS.sub("", run))  # "Did The Verge" is named as "The Verge"
    return list(dict.fromkeys(found))


def speakers(text: str, roles: bool = False) -> list[str]:
    """Who the text says spoke: a name before a verb of saying ("Sergey Lavrov stressed", "NATO has said") or
    after one ("said Lavrov"); "he", "she" or "they" for a speaker named before; with roles (a passage read as
    evidence), "he" also for a person named by a role ("the former U.S. president declared")."""
    text = MARKER.sub(" ", text).translate(_QUOTE_MARKS)
    found = []
    for sentence in (text[start:end] for start, end in sentence_spans(text)):
        found += [m["name"] for m in _SPEAKER_BEFORE.finditer(sentence)]
        found += [m["name"] for m in _SPEAKER_AFTER.finditer(sentence)]
        found += ["he" for _ in _ROLE_SPEAKER.finditer(sentence)] if roles else []
    named = [_OPENERS.sub("", name).rstrip(".'") for name in found]
    return [name for name in named if name.lower() in _PRONOUNS or any(w not in NOT_NAMES for w in words(name))]


def _looks_like_name(word: str) -> bool:
    """An opening word that is no adverb, participle or plural noun ("Recently", "Following", "Leaders")."""
    return not re.search(r"(?:ly|ing|ed|s)$", word)
