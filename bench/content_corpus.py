"""The seeded corpus of bench/content.sh: a vocabulary of common English and made-up words
drawn with Zipf's law, article titles of 3-8 words and Markdown bodies of 40-120 words, and a
fixed mix of one- and two-word queries made of the articles' own words.

Imported by bench/content_client.py; run alone, it prints a few articles and queries:
content_corpus.py [--entries N] [--show 3]"""

import argparse
import itertools
import random

COMMON = """the of and to in is that for it as was with be by on not this are or from at which but
have an they you were there one all we their been has would when if so no will more out up into do
about what some can time only them could other new these two may first then any like now such over
our even most made after also did many before must through back years where much your way well
down should because each just those people how too little state good very make world still own
see work long get here between both life being under never day same another know while last might
great old year off come since against go came right used take three small large city water house
garden river market paper music light story night table window letter morning winter summer
spring autumn bread stone field island mountain forest road bridge harbour station school library
museum kitchen coffee tea sugar salt butter cheese apple orange lemon cherry plum honey candle
mirror clock engine wheel machine signal number pattern colour silver golden copper iron glass
wood cotton wool linen silk leather basket bottle button pocket ribbon thread needle hammer ladder
rope anchor sail compass lantern blanket pillow curtain carpet chair shelf drawer cupboard
painting poem novel chapter lesson teacher student doctor farmer sailor pilot baker painter
writer singer dancer player runner builder driver keeper""".split()

SYLLABLES = ["ba", "be", "bo", "ca", "da", "de", "do", "fa", "fi", "ga", "go", "ha", "ka", "ki", "ko", "la", "le",
             "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "pa", "pe", "po", "ra", "re", "ri", "ro",
             "sa", "se", "si", "so", "ta", "te", "ti", "to", "va", "ve", "vi", "za", "zo", "ar", "el", "in", "or",
             "un", "ath", "bel", "cor", "dun", "est", "fal", "gor", "hal", "ith", "kel", "lor", "mar", "nor",
             "oth", "per", "quin", "ros", "sul", "tor", "ul", "ven", "wyn", "yor", "zel"]

# The most frequent words no reader searches for, left out of the queries.
STOP = set(COMMON[:60])


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """The common words first, then made-up words of 2-4 syllables, in the order of their rank."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen and 4 <= len(word) <= 12:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """`entries` articles (title, Markdown body) and `queries` queries, the same for a seed."""

    def __init__(self, entries: int, seed: int = 42, vocabulary_size: int = 4000) -> None:
        rng = random.Random(seed)
        self.words = vocabulary(rng, vocabulary_size)
        # Zipf's law: the word of rank r is drawn in proportion to 1 / r.
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1)))
        self.articles = [self._article(rng) for _ in range(entries)]

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def _article(self, rng: random.Random) -> tuple[str, str]:
        title = " ".join(self.draw(rng, rng.randint(3, 8))).capitalize()
        words = self.draw(rng, rng.randint(40, 120))
        paragraphs, sentences, at = [], [], 0
        while at < len(words):
            size = rng.randint(6, 14)
            sentence = words[at:at + size]
            if rng.random() < 0.1:
                k = rng.randrange(len(sentence))
                sentence[k] = f"**{sentence[k]}**"
            text = " ".join(sentence)
            sentences.append(text[0].upper() + text[1:] + ".")
            at += size
            if len(sentences) >= rng.randint(2, 4):
                paragraphs.append(" ".join(sentences))
                sentences = []
        if sentences:
            paragraphs.append(" ".join(sentences))
        return title, "\n\n".join(paragraphs)

    def queries(self, count: int, seed: int = 7) -> list[str]:
        """One- and two-word queries (half each) of words found together in one article, so a
        query reads like a reader's and has at least one answer."""
        rng = random.Random(seed)
        queries = []
        while len(queries) < count:
            title, body = self.articles[rng.randrange(len(self.articles))]
            words = [w for w in dict.fromkeys((title + " " + body).lower().replace("*", "").replace(".", "").split()) if w not in STOP]
            if len(words) < 2:
                continue
            queries.append(" ".join(rng.sample(words, 1 if len(queries) % 2 == 0 else 2)))
        return queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--show", type=int, default=3)
    args = parser.parse_args()
    corpus = Corpus(args.entries)
    for title, body in corpus.articles[:args.show]:
        print(f"# {title}\n\n{body}\n")
    print("queries:", ", ".join(corpus.queries(args.show * 4)))


if __name__ == "__main__":
    main()
