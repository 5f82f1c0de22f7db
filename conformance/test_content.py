"""The content module as sites and crawlers read it, on both engines: a sitemap that a real
crawler's parser (`ultimate-sitemap-parser`) finds through robots.txt and follows through its
index, an Atom feed that `feedparser` reads without complaint, and rich text delivered as HTML
that no known XSS payload gets script into."""

import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest
import requests
from usp.objects.sitemap import IndexRobotsTxtSitemap, IndexXMLSitemap, PagesXMLSitemap
from usp.tree import sitemap_tree_for_homepage

from conftest import Node

ADMIN = {"APUS_ADMIN_EMAIL": "content@example.com", "APUS_ADMIN_PASSWORD": "content admin password"}
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
PUBLIC_URL = "https://www.example.com"

POSTS = {
    "name": "Blog post", "api_id": "posts", "public": True, "url_pattern": "/blog/{slug}", "default_locale": "en", "locales": ["en", "fr"],
    "fields": [
        {"name": "title", "kind": "text", "required": True, "localised": True},
        {"name": "slug", "kind": "slug", "from": "title", "localised": True},
        {"name": "body", "kind": "rich_text", "localised": True},
    ],
}
# Public, addressed by locale and id rather than by slug.
NOTES = {
    "name": "Note", "api_id": "notes", "public": True, "url_pattern": "/{locale}/notes/{id}", "default_locale": "en", "locales": ["en"],
    "fields": [{"name": "title", "kind": "text", "required": True}],
}
# Has a URL pattern but is not public: never in the sitemap, no feed.
MEMOS = {
    "name": "Memo", "api_id": "memos", "public": False, "url_pattern": "/memos/{slug}", "default_locale": "en", "locales": ["en"],
    "fields": [
        {"name": "title", "kind": "text", "required": True},
        {"name": "slug", "kind": "slug", "from": "title"},
        {"name": "body", "kind": "rich_text"},
    ],
}
# Public but with no URL pattern: nothing of it has a page to list.
SNIPPETS = {
    "name": "Snippet", "api_id": "snippets", "public": True, "default_locale": "en", "locales": ["en"],
    "fields": [{"name": "title", "kind": "text", "required": True}],
}


def admin_headers(base: str) -> dict:
    login = requests.post(base + "/v1/auth/login", json={"email": ADMIN["APUS_ADMIN_EMAIL"], "password": ADMIN["APUS_ADMIN_PASSWORD"]}, timeout=10)
    assert login.status_code == 200, login.text
    return {"Authorization": "Bearer " + login.json()["access_token"]}


def create_type(base: str, headers: dict, definition: dict) -> None:
    created = requests.post(base + "/v1/content/types", json=definition, headers=headers, timeout=10)
    assert created.status_code == 201, created.text


def create_entry(base: str, headers: dict, type_id: str, values: dict) -> dict:
    created = requests.post(f"{base}/v1/content/{type_id}/entries", json=values, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()


def move(base: str, headers: dict, type_id: str, entry: dict, transition: str) -> dict:
    moved = requests.post(f"{base}/v1/content/{type_id}/entries/{entry['id']}/{transition}", headers=headers, timeout=10)
    assert moved.status_code == 200, moved.text
    return moved.json()


def published(base: str, headers: dict, type_id: str, values: dict) -> dict:
    """Creates an entry and publishes it; the entry as the publication left it."""
    entry = move(base, headers, type_id, create_entry(base, headers, type_id, values), "publish")
    assert entry["status"] == "published" and entry["published_at"], entry
    return entry


def instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    assert moment.tzinfo is not None, f"{text} names no time zone"
    return moment


class Markup(HTMLParser):
    """Every start tag with its attributes (character references resolved, as a browser would),
    and the text between them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text += data


FORBIDDEN_TAGS = {"script", "svg", "math", "iframe", "frame", "frameset", "object", "embed", "style", "link", "meta", "base", "form"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset"}
FORBIDDEN_SCHEMES = ("javascript:", "vbscript:", "data:")


def url_as_a_browser_reads_it(value: str) -> str:
    """Browsers drop tabs and newlines anywhere in a URL, and controls and spaces around it."""
    return "".join(c for c in value if c not in "\t\n\r").strip("".join(map(chr, range(0x21)))).lower()


def script_in(html: str) -> list[str]:
    """What in `html` could run script, described; empty when it is inert."""
    found = []
    for tag, attrs in Markup(html).tags:
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and url_as_a_browser_reads_it(value or "").startswith(FORBIDDEN_SCHEMES):
                found.append(f"<{tag} {name}={value!r}>")
    return found


@pytest.fixture
def admin_env(engine_env):
    return {**engine_env, **ADMIN}


def test_a_crawler_finds_every_published_page_through_robots_txt_and_the_sitemap_index(admin_env):
    # The public URL is left at its default, the node's own address (http://HOST:PORT), so the
    # URLs the node writes lead back to it and the parser can follow them.
    node = Node({**admin_env, "APUS_CONTENT_SITEMAP_MAX_URLS": "5"}, [])
    try:
        base = node.base
        headers = admin_headers(base)
        for definition in (POSTS, NOTES, MEMOS, SNIPPETS):
            create_type(base, headers, definition)

        expected: dict[str, str] = {}
        for n in range(1, 13):
            entry = published(base, headers, "posts", {"title": f"Post number {n}", "body": f"Entry *{n}*"})
            expected[f"{base}/blog/{entry['slug']}"] = entry["published_at"]
        for n in range(1, 3):
            entry = published(base, headers, "notes", {"title": f"Note {n}"})
            expected[f"{base}/en/notes/{entry['id']}"] = entry["published_at"]
        # Drafts, an entry published then withdrawn, a private type's entry and an entry of a type
        # without pages are never listed.
        drafts = [create_entry(base, headers, "posts", {"title": f"Draft {n}"}) for n in range(1, 3)]
        withdrawn = published(base, headers, "posts", {"title": "Withdrawn"})
        move(base, headers, "posts", withdrawn, "unpublish")
        memo = published(base, headers, "memos", {"title": "Quarterly figures"})
        published(base, headers, "snippets", {"title": "Footer"})
        assert len(expected) == 14
        never = {f"{base}/blog/{entry['slug']}" for entry in [*drafts, withdrawn]} | {f"{base}/memos/{memo['slug']}"}

        robots = requests.get(base + "/robots.txt", timeout=10)
        assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain"), robots.text
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(robots.text.splitlines())
        assert parser.site_maps() == [f"{base}/sitemap.xml"]

        # 14 URLs at 5 a file: an index of three sitemaps, in the sitemaps.org namespace.
        index = requests.get(base + "/sitemap.xml", timeout=10)
        assert index.status_code == 200 and "xml" in index.headers["content-type"], index.text
        root = ET.fromstring(index.content)
        assert root.tag == f"{{{SITEMAP_NS}}}sitemapindex", root.tag
        children = [loc.text.strip() for loc in root.findall(f"{{{SITEMAP_NS}}}sitemap/{{{SITEMAP_NS}}}loc")]
        assert children == [f"{base}/sitemaps/{n}.xml" for n in (1, 2, 3)], index.text
        listed: list[tuple[str, str]] = []
        for child in children:
            answer = requests.get(child, timeout=10)
            assert answer.status_code == 200 and "xml" in answer.headers["content-type"], (child, answer.text)
            urlset = ET.fromstring(answer.content)
            assert urlset.tag == f"{{{SITEMAP_NS}}}urlset", (child, urlset.tag)
            urls = urlset.findall(f"{{{SITEMAP_NS}}}url")
            assert 1 <= len(urls) <= 5, (child, answer.text)
            listed += [(url.findtext(f"{{{SITEMAP_NS}}}loc").strip(), url.findtext(f"{{{SITEMAP_NS}}}lastmod")) for url in urls]
        assert sorted(loc for loc, _ in listed) == sorted(expected)
        for loc, lastmod in listed:
            assert lastmod, f"{loc} has no lastmod"
            assert abs(instant(lastmod) - instant(expected[loc])) < timedelta(seconds=1), (loc, lastmod, expected[loc])

        # What a crawler sees: robots.txt names the index, the index names the pages' sitemaps.
        tree = sitemap_tree_for_homepage(base + "/", use_known_paths=False)
        pages = list(tree.all_pages())
        assert sorted(page.url for page in pages) == sorted(expected)
        assert not never & {page.url for page in pages}
        assert all(page.last_modified is not None for page in pages)
        [from_robots] = tree.sub_sitemaps
        assert isinstance(from_robots, IndexRobotsTxtSitemap), from_robots
        [sitemap_index] = from_robots.sub_sitemaps
        assert isinstance(sitemap_index, IndexXMLSitemap) and sitemap_index.url == f"{base}/sitemap.xml", sitemap_index
        assert len(sitemap_index.sub_sitemaps) >= 3
        assert all(isinstance(child, PagesXMLSitemap) for child in sitemap_index.sub_sitemaps), sitemap_index.sub_sitemaps
    finally:
        node.stop()


def test_the_atom_feed_parses_and_carries_titles_links_and_rendered_html(admin_env):
    node = Node({**admin_env, "APUS_PUBLIC_URL": PUBLIC_URL}, [])
    try:
        base = node.base
        headers = admin_headers(base)
        create_type(base, headers, POSTS)
        entries = [
            published(base, headers, "posts", {"title": "Fish & Chips <3", "body": "Some *emphasis* and **strength**."}),
            published(base, headers, "posts", {"title": "Second post", "body": "Plain words."}),
            published(base, headers, "posts", {"title": "Unsafe on purpose", "body": "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"}),
        ]
        create_entry(base, headers, "posts", {"title": "Still a draft", "body": "Not yet."})

        answer = requests.get(base + "/feeds/posts.atom", timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/atom+xml"), answer.headers["content-type"]
        feed = feedparser.parse(answer.content)
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert feed.version == "atom10"
        assert feed.feed.get("title") and feed.feed.get("id") and feed.feed.get("updated_parsed"), feed.feed

        by_title = {item.title: item for item in feed.entries}
        assert set(by_title) == {entry["title"] for entry in entries}
        for entry in entries:
            item = by_title[entry["title"]]
            assert item.link == f"{PUBLIC_URL}/blog/{entry['slug']}", item.links
            assert item.get("updated_parsed") is not None, item
        ids = [item.get("id") for item in feed.entries]
        assert all(ids) and len(set(ids)) == len(ids), ids
        moments = [item.get("published_parsed") or item.updated_parsed for item in feed.entries]
        assert moments == sorted(moments, reverse=True), "the newest entry comes first"
        content = by_title["Fish & Chips <3"].content[0].value
        assert "<em>emphasis</em>" in content and "<strong>strength</strong>" in content, content

        # feedparser cleans what it reads, so the feed's own HTML is read as the server wrote it.
        atom = ET.fromstring(answer.content)
        for item in atom.findall(f"{{{ATOM_NS}}}entry"):
            html = item.findtext(f"{{{ATOM_NS}}}content") or ""
            assert not script_in(html), (item.findtext(f"{{{ATOM_NS}}}title"), html)

        # Within APUS_CONTENT_SITEMAP_MAX_URLS the sitemap is one urlset, on the public URL.
        sitemap = requests.get(base + "/sitemap.xml", timeout=10)
        assert sitemap.status_code == 200, sitemap.text
        urlset = ET.fromstring(sitemap.content)
        assert urlset.tag == f"{{{SITEMAP_NS}}}urlset", urlset.tag
        locs = sorted(loc.text.strip() for loc in urlset.iter(f"{{{SITEMAP_NS}}}loc"))
        assert locs == sorted(f"{PUBLIC_URL}/blog/{entry['slug']}" for entry in entries)
    finally:
        node.stop()


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "Hello <img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '[x](" onmouseover="alert(1))',
    '[x](https://example.com/" onmouseover="alert(1))',
    '![img](" onerror="alert(1))',
    "![img](javascript:alert(1))",
    "[ref][1]\n\n[1]: javascript:alert(1)",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "```\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<<script>script>alert(1)<</script>/script>",
    '<p onclick="alert(1)">para</p>',
    "**bold <b onmouseover=alert(1)>x</b>**",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<a href='&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)'>x</a>",
]


def test_known_xss_payloads_are_delivered_as_inert_html(admin_env):
    node = Node(admin_env, [])
    try:
        base = node.base
        headers = admin_headers(base)
        create_type(base, headers, POSTS)
        for n, payload in enumerate(XSS_PAYLOADS, start=1):
            entry = published(base, headers, "posts", {"title": f"Payload {n}", "body": payload})
            delivered = requests.get(f"{base}/v1/content/posts/published/by-slug/{entry['slug']}", timeout=10)
            assert delivered.status_code == 200, (payload, delivered.text)
            html = delivered.json()["body"]
            assert isinstance(html, str) and html, (payload, html)
            assert not script_in(html), (payload, html, script_in(html))
            if payload == "<script>alert(1)</script>":
                # Raw HTML is shown as text, not dropped.
                assert Markup(html).text.strip() == payload, html
    finally:
        node.stop()


def test_feeds_are_for_public_types_only_and_robots_txt_names_the_sitemap(admin_env):
    node = Node({**admin_env, "APUS_PUBLIC_URL": PUBLIC_URL}, [])
    try:
        base = node.base
        headers = admin_headers(base)
        create_type(base, headers, MEMOS)
        create_type(base, headers, POSTS)
        published(base, headers, "memos", {"title": "Quarterly figures", "body": "Confidential *numbers*."})

        for path in ("/feeds/memos.atom", "/feeds/nothing.atom"):
            refused = requests.get(base + path, timeout=10)
            assert refused.status_code == 404, (path, refused.status_code, refused.text)
            assert "Quarterly" not in refused.text
        # A public type with nothing published yet still has its (empty) feed.
        empty = feedparser.parse(requests.get(base + "/feeds/posts.atom", timeout=10).content)
        assert empty.bozo == 0 and empty.entries == []

        robots = requests.get(base + "/robots.txt", timeout=10)
        assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain"), robots.text
        assert f"Sitemap: {PUBLIC_URL}/sitemap.xml" in [line.strip() for line in robots.text.splitlines()], robots.text
    finally:
        node.stop()
