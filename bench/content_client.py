"""The HTTP side of bench/content.sh, with keep-alive connections (http.client):

  prepare BASE TOKEN           the types and entries of parts 1-3; prints JSON (slugs, ids)
  saves BASE TOKEN TYPE ID     200 sequential saves of one locale (If-Match: *): p50/p95
  load BASE TOKEN N            N published articles from the seeded corpus, many clients at once
  search BASE TOKEN N          500 one- and two-word queries of the corpus, sequential: p50/p95

Figures go to stdout (`load`'s as `key=value` words); progress to stderr, on a terminal only."""

import argparse
import http.client
import itertools
import json
import statistics
import sys
import threading
import time
import urllib.parse

from content_corpus import Corpus

LOCALES = ["en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "fi", "nb", "pl", "cs", "sk", "hu", "ro", "bg",
           "el", "tr", "ru", "uk", "ja", "ko", "zh", "ar"]
GUIDE_FIELDS = ["title", "subtitle", "summary", "intro", "section1", "section2", "section3", "section4", "outro", "caption"]
REFERENCES = 60


class Client:
    """One keep-alive connection; a connection the server closed while idle is opened again."""

    def __init__(self, base: str, token: str | None = None) -> None:
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, bytes]:
        sent = {"Content-Type": "application/json"} if body is not None else {}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, path, body=data, headers=sent)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body=None, headers: dict | None = None, expect: tuple = (200, 201)):
        status, payload = self.call(method, path, body, headers)
        if status not in expect:
            raise SystemExit(f"{method} {path}: {status} {payload[:400].decode(errors='replace')}")
        return json.loads(payload) if payload else None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def progress(text: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + text + "\033[K")
        sys.stderr.flush()


def create_type(client: Client, body: dict) -> None:
    client.json("POST", "/v1/content/types", body)


def published(client: Client, type_id: str, values: dict) -> dict:
    entry = client.json("POST", f"/v1/content/{type_id}/entries", values)
    client.json("POST", f"/v1/content/{type_id}/entries/{entry['id']}/publish")
    return entry


def prepare(args) -> None:
    client = Client(args.base, args.token)
    corpus = Corpus(200, seed=1)
    # Part 1: a page of about 600 words of Markdown, read by its slug.
    create_type(client, {"name": "Pages", "api_id": "pages", "public": True, "fields": [
        {"name": "title", "kind": "text", "required": True}, {"name": "slug", "kind": "slug", "from": "title"},
        {"name": "body", "kind": "rich_text"}]})
    page = published(client, "pages", {"title": "About the harbour museum", "body": "\n\n".join(b for _, b in corpus.articles[:8])})
    # Part 2: a book referring to 60 published authors.
    create_type(client, {"name": "Authors", "api_id": "authors", "public": True, "fields": [
        {"name": "name", "kind": "text", "required": True}, {"name": "slug", "kind": "slug", "from": "name"},
        {"name": "bio", "kind": "rich_text"}]})
    authors = [published(client, "authors", {"name": f"Author {n} {corpus.articles[n][0]}", "bio": corpus.articles[n][1]})["id"]
               for n in range(REFERENCES)]
    create_type(client, {"name": "Books", "api_id": "books", "public": True, "fields": [
        {"name": "title", "kind": "text", "required": True}, {"name": "slug", "kind": "slug", "from": "title"}]
        + [{"name": f"ref{n}", "kind": "reference", "to": "authors"} for n in range(1, REFERENCES + 1)]})
    book = published(client, "books", {"title": "Sixty voices", **{f"ref{n}": authors[n - 1] for n in range(1, REFERENCES + 1)}})
    status, payload = Client(args.base).call("GET", f"/v1/content/books/published/by-slug/{book['slug']}?expand=true")
    expanded = status == 200 and isinstance(json.loads(payload).get("ref1"), dict)
    # Part 3: a guide in 25 locales, each locale filled once.
    create_type(client, {"name": "Guides", "api_id": "guides", "public": True, "default_locale": "en", "locales": LOCALES,
                         "fields": [{"name": name, "kind": "text", "localised": True} for name in GUIDE_FIELDS]})

    def values(locale: str, n: int) -> dict:
        return {name: f"[{locale}] {corpus.articles[(n * 10 + i) % 200][1][:240]}" for i, name in enumerate(GUIDE_FIELDS)}

    guide = client.json("POST", "/v1/content/guides/entries", values("en", 0))
    version = guide["version"]
    for n, locale in enumerate(LOCALES[1:], start=1):
        version = client.json("PATCH", f"/v1/content/guides/entries/{guide['id']}?locale={locale}", values(locale, n),
                              headers={"If-Match": f'"{version}"'})["version"]
    print(json.dumps({"page_slug": page["slug"], "book_slug": book["slug"], "expand_status": status,
                      "expand_applied": expanded, "guide_id": guide["id"]}))


def saves(args) -> None:
    client = Client(args.base, args.token)
    path = f"/v1/content/{args.type}/entries/{args.id}?locale={args.locale}"
    times = []
    for n in range(args.count):
        start = time.perf_counter()
        status, payload = client.call("PATCH", path, {"title": f"[{args.locale}] Title, save {n}"}, headers={"If-Match": "*"})
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"save {n}: {status} {payload[:400].decode(errors='replace')}")
    print(f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms (max {max(times):.1f} ms)")


def load(args) -> None:
    started = time.monotonic()
    corpus = Corpus(args.count)
    generated = time.monotonic() - started
    client = Client(args.base, args.token)
    create_type(client, {"name": "Articles", "api_id": "articles", "public": True, "url_pattern": "/articles/{slug}", "fields": [
        {"name": "title", "kind": "text", "required": True}, {"name": "slug", "kind": "slug", "from": "title"},
        {"name": "body", "kind": "rich_text"}]})
    next_index = itertools.count()
    done = itertools.count(1)
    failures: list[str] = []
    finished = [0]
    ids: dict[int, str] = {}

    def work() -> None:
        client = Client(args.base, args.token)
        while not failures:
            n = next(next_index)
            if n >= args.count:
                return
            title, body = corpus.articles[n]
            try:
                entry = client.json("POST", "/v1/content/articles/entries", {"title": title, "body": body})
                client.json("POST", f"/v1/content/articles/entries/{entry['id']}/publish")
            except (SystemExit, OSError, http.client.HTTPException) as error:
                failures.append(f"article {n}: {error}")
                return
            ids[n] = entry["id"]
            finished[0] = next(done)

    start = time.monotonic()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        elapsed = time.monotonic() - start
        count = finished[0]
        if count:
            eta = (args.count - count) * elapsed / count
            progress(f"  {count:,}/{args.count:,} articles ({count / elapsed:,.0f}/s, {eta:,.0f} s to go)")
        time.sleep(0.5)
    elapsed = time.monotonic() - start
    progress("")
    if sys.stderr.isatty():
        sys.stderr.write("\r")
    if failures:
        raise SystemExit(f"{len(failures)} articles failed, first: {failures[0]}")
    print(f"entries={args.count} seconds={elapsed:.1f} rate={args.count / elapsed:.0f} requests_rate={2 * args.count / elapsed:.0f} "
          f"corpus_seconds={generated:.1f} last_id={ids[args.count - 1]}")


def search(args) -> None:
    client = Client(args.base, args.token if args.with_token else None)
    corpus = Corpus(args.count)
    queries = corpus.queries(args.queries)

    def path(q: str) -> str:
        return f"/v1/content/search?q={urllib.parse.quote(q)}&type=articles"

    status, payload = client.call("GET", path(queries[0]))
    if status in (401, 403) and not args.with_token:
        client = Client(args.base, args.token)
        status, payload = client.call("GET", path(queries[0]))
    if status in (404, 405):
        print(f"not available (GET /v1/content/search answered {status})")
        return
    if status != 200:
        raise SystemExit(f"search: {status} {payload[:400].decode(errors='replace')}")
    # The index may be filled after the writes: wait until the last article is found by its two
    # rarest words (the vocabulary is in the order of frequency).
    waited = time.monotonic()
    rank = {word: n for n, word in enumerate(corpus.words)}
    title, body = corpus.articles[-1]
    words = set((title + " " + body).lower().replace("*", "").replace(".", "").split())
    probe = " ".join(sorted(words, key=lambda word: -rank.get(word, 0))[:2])
    while True:
        status, payload = client.call("GET", path(probe))
        if status == 200 and any(item.get("id") == args.last_id for item in json.loads(payload).get("items", [])):
            break
        if time.monotonic() - waited > 120:
            print(f"warning: the last article is not found by {probe!r} after 120 s; measuring anyway", file=sys.stderr)
            break
        time.sleep(0.5)
    waited = time.monotonic() - waited
    times, found = [], []
    for q in queries:
        start = time.perf_counter()
        status, payload = client.call("GET", path(q))
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise SystemExit(f"search {q!r}: {status} {payload[:400].decode(errors='replace')}")
        found.append(len(json.loads(payload).get("items", [])))
    print(f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms (max {max(times):.1f} ms)")
    print(f"{sum(1 for n in found if n == 0)} of {len(queries)} queries found nothing; a median of {statistics.median(found):.0f} items each; "
          f"the last article was found {waited:.1f} s after the writes")


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "saves", "load", "search"):
        command = commands.add_parser(name)
        command.add_argument("base")
        command.add_argument("token")
    commands.choices["saves"].add_argument("type")
    commands.choices["saves"].add_argument("id")
    commands.choices["saves"].add_argument("--locale", default="fr")
    commands.choices["saves"].add_argument("--count", type=int, default=200)
    commands.choices["load"].add_argument("count", type=int)
    commands.choices["load"].add_argument("--clients", type=int, default=8)
    commands.choices["search"].add_argument("count", type=int)
    commands.choices["search"].add_argument("last_id")
    commands.choices["search"].add_argument("--queries", type=int, default=500)
    commands.choices["search"].add_argument("--with-token", action="store_true")
    args = parser.parse_args()
    {"prepare": prepare, "saves": saves, "load": load, "search": search}[args.command](args)


if __name__ == "__main__":
    main()
