"""From a question to a :class:`Query`: what it asks (facts), about what (services, offices,
places), small talk, or a subject this catalog does not cover.

The vocabulary is data (``catalog/understanding.toml`` and the catalog's places and centres),
all in one :class:`~understanding.phrases.PhraseIndex`, so a longer phrase always wins over
the words inside it ("справка о несудимости" is another subject, "справка" alone is not).

How a question is read:

1. its words (:func:`understanding.normalize.words`) are matched against the index;
2. a phrase naming another subject makes it *out of scope*;
3. facts come from the fact cues; the weak ones ("керек", "где", "срок") only when no other
   fact is named, and a question about a quality indicator asks for the indicator, not for the
   procedure it measures;
4. a question naming neither a service nor an office of the catalog, but words this
   vocabulary does not know, is about something else: out of scope too (it is never answered
   with a fact of the catalog);
5. a question made of greetings, thanks and the like is small talk.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from domain.catalog import CATALOG_DIR, Catalog, Placement
from domain.facts import FACTS, NO_FOCUS, Focus
from understanding.classifier import FactClassifier
from understanding.normalize import words
from understanding.phrases import FUZZY_MIN_STEM, Hit, PhraseIndex, StemMatcher, stems_of

Kind = Literal["facts", "card", "smalltalk", "out_of_scope", "unknown"]
ORDINALS = {
    "1": ("перв", "бирин", "1"), "2": ("втор", "екин", "2"), "3": ("трет", "ушин", "3"), "4": ("четверт", "торт", "4"),
}
CONJUNCTIONS = frozenset({"и", "жане", "плюс", "также", "тагы", "сонымен", "ещ", "еще", "ал", "а"})
UNKNOWN_MIN = 4  # shorter unknown words are not taken as naming another subject
KNOWN_PREFIX = 6
HINTED_UNKNOWN = 2  # unknown words tolerated beside a fact and a hint of a service
# The words that tie a certificate to its subject ("справка о ...", "справка для ...").
CERTIFICATE_OF = frozenset({"о", "об", "про", "для", "с", "со", "из"})
PRONOUNS = frozenset({"том", "тем", "чем", "себе", "нем", "неи", "них", "меня", "мне", "него", "нее", "нас"})
# Quality cues that ask whether one's own case is normal.
NORM = ("норм", "калыпты")
# The bare words for documents (not "какие документы", "что нужно").
BARE_DOCUMENTS = ("документ", "кужат", "бумаг", "кагаз")
# What an indicator's words mean when no quality cue is near them ("шағымдану тәртібі" is how
# to complain, "кезекте" the queue).
INDICATOR_FACTS = {"1.1": "deadline", "1.2": "queue", "3.3": "submission", "4.1": "complaint", "4.2": "complaint",
                   "4.3": "complaint", "4.4": "complaint"}
# Facts that, asked about a complaint, mean its registration ("шағым қай кабинетке", "как
# подтвердят, что жалобу приняли").
COMPLAINT_PARTS = frozenset({"receipt", "address", "submission", "e_status"})
GUESS_MARGIN = 0.0  # how far the classifier's best fact must be ahead of the second


@dataclass(frozen=True)
class Query:
    """What a question asks. Empty sets mean the question did not say."""

    kind: Kind
    facts: tuple[str, ...] = ()
    services: frozenset[str] = frozenset()
    office_kinds: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    centres: frozenset[str] = frozenset()  # office ids named by district or street
    number: int | None = None  # a centre's number within its city
    focus: Focus = NO_FOCUS
    smalltalk: str | None = None
    service_named: bool = True  # false: the services are only guessed ("справка", "ЦОН")
    unknown: tuple[str, ...] = field(default=(), compare=False)  # words the vocabulary does not know

    @property
    def places(self) -> bool:
        return bool(self.regions or self.cities or self.centres)


class Understanding:
    """Reads questions (see the module docstring)."""

    def __init__(self, catalog: Catalog, path: Path = CATALOG_DIR / "understanding.toml",
                 examples: Iterable[Path] | None = None) -> None:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        self.catalog = catalog
        self.matcher = StemMatcher(frozenset(words(" ".join(data["words"]["exact"]))))
        entries: list[tuple[str, str, float]] = []
        services = dict(data["services"])
        entries += [(p, "psc_certificate", 0.5) for p in services.pop("psc_certificates")["hint"]]
        for service_id, groups in services.items():
            catalog.service(service_id)
            entries += [(p, f"service:{service_id}", 1.0) for p in groups.get("strong", [])]
            entries += [(p, f"service_weak:{service_id}", 0.5) for p in groups.get("weak", [])]
        for kind, phrases in data["offices"].items():
            entries += [(p, f"office:{kind}", 1.0) for p in phrases]
        for fact, groups in data["facts"].items():
            if fact not in FACTS:
                raise ValueError(f"understanding.toml: facts.{fact}: unknown fact")
            entries += [(p, f"fact:{fact}", 1.0) for key, phrases in groups.items()
                        if key not in ("weak", "with_complaint") for p in phrases]
            entries += [(p, f"fact_complaint:{fact}", 1.0) for p in groups.get("with_complaint", [])]
            entries += [(p, f"fact_weak:{fact}", 0.5) for p in groups.get("weak", [])]
        for code, phrases in data["indicators"].items():
            entries += [(p, f"indicator:{code}", 1.0) for p in phrases]
        for document, phrases in data["documents"].items():
            entries += [(p, f"document:{document}", 1.0) for p in phrases]
        for kind, phrases in data["smalltalk"].items():
            entries += [(p, f"small:{kind}", 1.0) for p in phrases]
        entries += [(p, "context", 1.0) for phrases in data["context"].values() for p in phrases]
        hard = [stems for p in data["out_of_scope"]["hard"] for stems in stems_of(p)]

        def hardness(phrase: str) -> str:
            """A topic that begins with a hard word ("аккредиттеу" with "аккредит") is hard too."""
            first = words(phrase)[:1]
            return "oos_hard" if first and any(len(h) == 1 and first[0].startswith(h[0].rstrip("!"))
                                                   for h in hard) else "oos"

        entries += [(p, hardness(p), 1.0) for p in data["out_of_scope"]["topics"]]
        entries += [(p, "oos_hard", 1.0) for p in data["out_of_scope"]["hard"]]
        with (path.parent / "out_of_scope.toml").open("rb") as fh:
            entries += [(p, hardness(p), 1.0) for topic in tomllib.load(fh)["topics"] for p in topic["words"]
                        if words(p) != ("паспорт",)]
        entries += self._places(catalog)
        self.index = PhraseIndex(entries, self.matcher)
        self.filler = frozenset(w for key in ("filler", "everyday") for phrase in data["words"][key]
                                for w in words(phrase))
        self.known = known_words(catalog, CATALOG_DIR / "sources")
        self.matcher.known = frozenset(w for w in self.known | self.filler if len(w) >= FUZZY_MIN_STEM)
        files = sorted((CATALOG_DIR / "questions").glob("*.toml")) if examples is None else list(examples)
        self.classifier = FactClassifier.from_files(files) if files else None

    @staticmethod
    def _places(catalog: Catalog) -> list[tuple[str, str, float]]:
        entries: list[tuple[str, str, float]] = []
        for kind, places in (("region", catalog.regions.values()), ("city", catalog.cities.values())):
            for place in places:
                for name in {place.name.kk, place.name.ru, *place.aliases}:
                    entries.append((_place_stem(name), f"{kind}:{place.id}", 1.0))
        offices = {p.office.id: p.office for p in catalog.placements}
        for office in offices.values():
            entries += [(alias, f"centre:{office.id}", 1.0) for alias in office.aliases]
        return entries

    def parse(self, text: str) -> Query:
        """What ``text`` asks (see the module docstring)."""
        tokens = list(words(text))
        if not tokens:
            return Query("unknown")
        used: set[int] = set()
        hits = self.index.find(tokens, used)
        found: dict[str, list[Hit]] = {}
        for hit in hits:
            found.setdefault(hit.value.partition(":")[0], []).append(hit)
        number = self._number(tokens, used, hits)
        unknown = tuple(t for i, t in enumerate(tokens) if i not in used and not self._known(t))
        services = self._services(found)
        specific = bool(found.get("service") or found.get("centre"))
        # A document of the standards named with a weak sign of its service ("военный билет"
        # with "справка") is as specific as the service.
        named = specific or bool(found.get("document") and (found.get("service_weak") or "psc_certificate" in found))
        offices = frozenset(h.value.partition(":")[2] for h in found.get("office", [])) - {"egov"}
        # Another subject: a phrase naming it, or a single word naming it when no service of
        # the catalog is named ("магазин" in "продаём иностранные журналы в магазинах" is not one).
        if found.get("oos_hard") or any(len(h.positions) > 1 or not specific for h in found.get("oos", [])):
            return Query("out_of_scope", unknown=unknown)
        if not (found.get("service") or found.get("service_weak")) and self._other_certificate(tokens, hits):
            return Query("out_of_scope", unknown=unknown)
        office_kinds = frozenset(h.value.partition(":")[2] for h in found.get("office", []))
        regions, cities, centres = (frozenset(h.value.partition(":")[2] for h in found.get(k, []))
                                    for k in ("region", "city", "centre"))
        facts = self._facts(found, self._clauses(tokens), tokens)
        if facts == ("documents",) and not found.get("fact") and (regions or cities or centres):
            # "живу в Семее, нужна справка": only a need and a place said: where to go, and what to bring.
            facts = ("address", "documents")
        focus = Focus(
            indicators=tuple(dict.fromkeys(h.value.partition(":")[2] for h in found.get("indicator", [])))
            if "quality" in facts else (),
            documents=tuple(dict.fromkeys(h.value.partition(":")[2] for h in found.get("document", [])))
            if "documents" in facts else (),
        )
        if not found.get("service") and "egov" in office_kinds and not offices:
            # The portal named and no service of the catalog outright: its e-services.
            online = frozenset(p.standard.service for p in self.catalog.placements if p.standard.form != "paper")
            services = online
        if not services and office_kinds:  # the kind of office tells the services
            services = frozenset(p.standard.service for p in self.catalog.placements
                                 if p.office.kind in office_kinds)
        if "deadline" in facts and "extension" not in facts and found.get("service") and any(
                p.standard.deadline.extensions for p in self.catalog.placements if p.standard.service in services):
            # The term of a service named outright comes with the extensions its standard allows
            # (an archive abroad, no records): "сколько делают, если архив молчит".
            facts = tuple(f for f in facts for f in ((f, "extension") if f == "deadline" else (f,)))
        about = bool(services or office_kinds or centres)
        if about and self.classifier is not None and not found.get("fact") and not found.get("fact_weak"):
            # No fact named outright ("военный билет назад отдадут?"): the statistical guess,
            # when it is a fact and clearly ahead.
            guess = self.classifier.guess(text)
            if guess.label in FACTS and guess.margin >= GUESS_MARGIN:
                facts = (guess.label,)
        if not facts and not about:
            if "small" in found and not unknown:
                return Query("smalltalk", smalltalk=found["small"][0].value.partition(":")[2])
            return Query("unknown", regions=regions, cities=cities, unknown=unknown)
        # Words this vocabulary does not know, and nothing specific of the catalog named (a
        # certificate in general or eGov is not; a ЦОН or a department asked a fact is):
        # another subject.
        # A fact asked about a certificate of the ЦОН or a weakly named service, with one or two
        # words this vocabulary lacks ("жеткілікті ме", "срочно"), is still ours: another ЦОН
        # certificate names its subject ("справка о ...", "... туралы анықтама", a topic).
        hinted = bool(facts) and len(unknown) <= HINTED_UNKNOWN and bool(
            found.get("service_weak") or "psc_certificate" in found)
        if unknown and not named and not hinted and not (offices and facts) \
                and len(max(unknown, key=len)) >= UNKNOWN_MIN:
            return Query("out_of_scope", unknown=unknown)
        return Query("facts" if facts else "card", facts=facts, services=services, office_kinds=office_kinds,
                     regions=regions, cities=cities, centres=centres, number=number, focus=focus,
                     unknown=unknown,
                     service_named=bool(found.get("service") or found.get("service_weak") or centres))

    def _known(self, token: str) -> bool:
        """Whether a word is ordinary in questions about these services: a filler word, a
        number, or a word of the standards' own texts (any ending: its first six letters)."""
        if token in self.filler or token.isdigit() or len(token) < 3:
            return True
        return token in self.known or (len(token) >= KNOWN_PREFIX + 1 and token[:KNOWN_PREFIX] in self.known)

    @staticmethod
    def _services(found: dict[str, list[Hit]]) -> frozenset[str]:
        def best(hits: Iterable[Hit]) -> frozenset[str]:
            scores: dict[str, float] = {}
            for hit in hits:
                service = hit.value.partition(":")[2]
                scores[service] = scores.get(service, 0.0) + hit.weight * len(hit.positions)
            if not scores:
                return frozenset()
            top = max(scores.values())
            return frozenset(s for s, score in scores.items() if score == top)

        strong = best(found.get("service", []))
        if strong:
            return strong
        weak = best(found.get("service_weak", []))
        if weak:
            return weak
        if "psc_certificate" in found:
            return frozenset({"military_service_certificate", "benefits_certificate"})
        return frozenset()

    def _other_certificate(self, tokens: list[str], hits: list[Hit]) -> bool:
        """A certificate "о/об/для/с ..." («справка о регистрации по месту жительства»,
        «справка для визы») or «... туралы анықтама» naming no service of the catalog: another
        certificate of the ЦОН, not one of these two."""
        ours = {p for h in hits if h.value.startswith(("service", "document")) for p in h.positions}
        for index, token in enumerate(tokens):
            if token.startswith("справк") and index + 2 < len(tokens) and tokens[index + 1] in CERTIFICATE_OF \
                    and index + 2 not in ours and tokens[index + 2] not in PRONOUNS \
                    and tokens[index + 2] not in self.filler:  # "справка для деда": for whom, not what
                return True
            if token.startswith("аныктама") and index >= 2 and tokens[index - 1] == "туралы" \
                    and index - 2 not in ours:
                return True
        return False

    @staticmethod
    def _clauses(tokens: list[str]) -> list[int]:
        """The clause of each word: a question asking two things joins them with "и", "және"..."""
        clause, out = 0, []
        for token in tokens:
            if token in CONJUNCTIONS:
                clause += 1
            out.append(clause)
        return out

    @staticmethod
    def _facts(found: dict[str, list[Hit]], clauses: list[int], tokens: list[str]) -> tuple[str, ...]:
        """The facts asked, clause by clause: a clause's strong cues, else its weak ones; in a
        clause about a quality indicator, only the indicator ("какая доля ждёт в очереди не
        больше 40 минут" asks the indicator, not the queue)."""
        hits = found.get("fact", []) + found.get("fact_weak", [])
        if any(h.value == "fact:complaint" for h in hits):
            hits += [Hit(f"fact:{h.value.partition(':')[2]}", h.positions, h.weight)
                     for h in found.get("fact_complaint", [])]
        taken = {p for h in hits for p in h.positions}
        hits += [Hit(f"fact:{INDICATOR_FACTS[code]}", h.positions, h.weight) for h in found.get("indicator", [])
                 if (code := h.value.partition(":")[2]) in INDICATOR_FACTS and not taken & set(h.positions)]
        hits = sorted(hits, key=lambda h: h.positions)
        by_clause: dict[int, list[Hit]] = {}
        for hit in hits:
            by_clause.setdefault(clauses[hit.positions[0]], []).append(hit)
        facts: list[str] = []
        complaint = any(h.value in ("fact:complaint", "fact:complaint_registration") for h in hits)
        for clause_hits in by_clause.values():
            strong = [h for h in clause_hits if h.value.startswith("fact:")]
            chosen = [h.value.partition(":")[2] for h in strong or clause_hits]
            if "quality" in chosen:
                # The indicator, not the procedure it measures ("какая доля ждёт в очереди не
                # больше 40 минут"); but "очередь уже час, это нормально?" compares one's own
                # wait with the rule: the queue too.
                norm = any(tokens[i].startswith(NORM) for h in clause_hits if h.value.endswith(":quality")
                           for i in h.positions)
                chosen = ["quality"] + [f for f in chosen if norm and f == "queue"]
            if len(set(chosen)) > 1 and "documents" in chosen and all(
                    len(h.positions) == 1 and tokens[h.positions[0]].startswith(BARE_DOCUMENTS)
                    for h in clause_hits if h.value.endswith(":documents")):
                # "құжатта қате болса", "документы не забрал": the documents are what the
                # other fact is about, not a question of their own.
                chosen = [f for f in chosen if f != "documents"]
            if complaint:  # where a complaint is handed in, its proof: the complaint's registration
                chosen = ["complaint_registration" if f in COMPLAINT_PARTS else f for f in chosen]
            facts += chosen
        if not found.get("fact") and len(facts) > 1:  # weak cues only: the first
            facts = facts[:1]
        return tuple(dict.fromkeys(facts))

    def _number(self, tokens: list[str], used: set[int], hits: list[Hit]) -> int | None:
        """A centre's number in its city: "№ 2", "2-ші ХҚО", "второй ЦОН", "номер1"."""
        offices = [p for h in hits if h.value == "office:psc" for p in h.positions]
        for index, token in enumerate(tokens):
            if index in used:
                continue
            value = next((n for n, stems in ORDINALS.items() if any(token.startswith(s) for s in stems)
                          and (token.isdigit() or len(token) > 2)), None)
            if value is None and token.startswith("номер") and token[5:] in ORDINALS:
                value = token[5:]
            if value is None:
                continue
            near = any(abs(index - p) <= 3 for p in offices) or (index > 0 and tokens[index - 1] in ("номер", "n"))
            if near or (token.startswith("номер")):
                used.add(index)
                return int(value)
        return None


def known_words(catalog: Catalog, sources: Path) -> frozenset[str]:
    """The words of the catalog and of the standards' texts, and their first six letters."""
    texts: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    for standard in catalog.standards.values():
        collect(standard.model_dump())
    for placement in catalog.placements:
        collect(placement.office.model_dump())
    collect([s.model_dump() for s in catalog.services])
    collect([i.model_dump() for i in catalog.indicators.values()])
    texts += [path.read_text(encoding="utf-8") for path in sorted(sources.glob("*.txt"))]
    found: set[str] = set()
    for text in texts:
        for word in words(text):
            found.add(word)
            if len(word) > KNOWN_PREFIX:
                found.add(word[:KNOWN_PREFIX])
    return frozenset(found)


def _place_stem(name: str) -> str:
    """A place name as a stem: a final vowel dropped, so endings are free ("Караганда" →
    "караганд" matches "Караганды", "Карагандинской"). Short names stay whole."""
    parts = list(words(name))
    last = parts[-1]
    if len(last) > 4 and re.search(r"[аеиоуыя]$", last):
        parts[-1] = last[:-1]
    return " ".join(parts)


@dataclass(frozen=True)
class Candidates:
    """The placements a query may be about; ``place_missed`` when a place it names has none."""

    placements: list[Placement]
    place_missed: bool = False


def candidates(catalog: Catalog, query: Query) -> Candidates:
    """The placements a query may be about, narrowed by everything it names; a name that
    matches nothing is ignored (a city without such an office: the offices elsewhere)."""
    pool = list(catalog.placements)
    missed = False

    def narrow(keep: object, place: bool = False) -> None:
        nonlocal pool, missed
        kept = [p for p in pool if keep(p)]  # type: ignore[operator]
        if kept:
            pool = kept
        elif place:
            missed = True

    if query.services:
        narrow(lambda p: p.standard.service in query.services)
    kinds = query.office_kinds - {"egov"}
    if kinds:
        narrow(lambda p: p.office.kind in kinds)
    if query.regions:
        narrow(lambda p: p.standard.region in query.regions
               or catalog.cities[p.office.city_id].region in query.regions, place=True)
    if query.number is not None and query.cities:  # "Өскемен 3-ші ХҚО" stands in Semey
        narrow(lambda p: p.office.local_number == query.number
               and (p.office.city_id in query.cities or p.office.named_after in query.cities))
    if query.cities:
        narrow(lambda p: p.office.city_id in query.cities or p.office.named_after in query.cities, place=True)
    if "egov" in query.office_kinds:  # the portal only where the places named have it
        narrow(lambda p: p.office.kind == "egov")
    if query.centres:
        narrow(lambda p: p.office.id in query.centres)
    if query.number is not None:
        narrow(lambda p: p.office.local_number == query.number)
    return Candidates(pool, missed)
