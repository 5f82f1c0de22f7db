"""docs/deploying.md's worked example deployed for real: a column renamed (`url` to `target`)
over releases of a module, each release rolled out through the whole cluster under load.

`apus-release-drill` is `apus` with one more module, `bookmarks`, in the release
`APUS_DRILL_RELEASE` names (Examples/ReleaseDrill). Each release is deployed as the page says:
`migrate` with the new binary as its own step while the old release serves, then the nodes
replaced one at a time (`cluster.sh rolling-restart`, nodes with `--no-migrate`). Throughout,
clients write bookmarks and read each write back through the balancer, whichever release (or
replica) answers. This file runs after test_cluster.py and leaves the cluster on the drill's
last release, which still runs every shipped module."""

import collections
import os
import subprocess
import threading
import time
from pathlib import Path

import requests

from conftest import ALL_NODES, Load, wal

THREADS = 3
IDS_PER_THREAD = 20


def drill_binary() -> str:
    binary = os.environ.get("APUS_DRILL_BIN") or str(Path(os.environ["APUS_BIN"]).parent / "apus-release-drill")
    assert os.access(binary, os.X_OK), f"no release drill at {binary}: build it (swift build --product apus-release-drill)"
    return binary


def deploy(cluster, release: int) -> tuple[subprocess.CompletedProcess, float]:
    """Release `release` rolled out: migrated with its binary first, then each node replaced."""
    began = time.monotonic()
    done = cluster.script("rolling-restart", timeout=600, env={"APUS_BIN": drill_binary(), "APUS_DRILL_RELEASE": str(release)})
    assert done.returncode == 0, f"release {release} did not deploy:\n{done.stderr[-3000:]}"
    return done, time.monotonic() - began


def migration_status(cluster, release: int) -> dict[str, str]:
    """`migrate --status` of the drill's bookmarks migrations, run as an operator would."""
    listed = cluster.command("migrate", "--status", env={"APUS_DRILL_RELEASE": str(release)})
    assert listed.returncode == 0, listed.stderr
    return dict(line.split("\t", 1) for line in listed.stdout.splitlines() if line.startswith("bookmarks/"))


def test_a_column_renamed_over_four_releases_deploys_under_load_with_no_failed_request(cluster, new_user):
    user = new_user()
    acknowledged: dict[str, str] = {}
    positions: list[str] = []
    lock = threading.Lock()

    # Release 0 everywhere first: the drill's table exists and every node serves it.
    deploy(cluster, 0)

    def step(session, number):
        # Each thread writes its own bookmarks, so what it reads back is what it last wrote;
        # later rounds change bookmarks an earlier release wrote.
        bookmark = f"t{number % THREADS}-{(number // THREADS) % IDS_PER_THREAD}"
        url = f"https://example.com/{bookmark}/{number}"
        written = session.put(f"{cluster.url}/v1/bookmarks/{bookmark}", json={"url": url}, headers=user["auth"], timeout=60)
        if written.status_code != 204:
            return False, f"PUT {bookmark}: {written.status_code} {written.text[:200]}"
        position = written.headers.get("Apus-Consistency")
        if not position:
            return False, f"PUT {bookmark}: no Apus-Consistency header"
        with lock:
            acknowledged[bookmark] = url
            positions.append(position)
        read = session.get(f"{cluster.url}/v1/bookmarks/{bookmark}", headers={**user["auth"], "Apus-Consistency": position}, timeout=60)
        if read.status_code != 200 or read.json().get("url") != url:
            return False, f"GET {bookmark} after writing {url}: {read.status_code} {read.text[:200]}"
        release = read.headers.get("Bookmarks-Release", "")
        if not release.isdigit():
            return False, f"GET {bookmark}: no release named in Bookmarks-Release ({release!r})"
        return True, int(release)

    report = []
    with Load(step, threads=THREADS) as load:
        load.wait_for(20)
        for release in range(1, 5):
            pids = {name: cluster.pid(name) for name in ALL_NODES}
            before = load.count()
            done, took = deploy(cluster, release)
            during = load.count() - before
            assert all(cluster.pid(name) != pids[name] for name in ALL_NODES), f"release {release}: not every node was replaced"
            assert during >= 20, f"release {release}: only {during} write-and-read rounds while it rolled out"
            with load.lock:
                served = collections.Counter(o[3] for o in load.outcomes[before:])
            # Side by side: while the nodes were replaced, both releases answered reads.
            assert served[release - 1] > 0 and served[release] > 0, f"release {release}: reads answered by releases {dict(served)}"
            failures = load.failures()
            assert not failures, f"release {release}: {len(failures)} of {load.count()} rounds failed: {[f[3] for f in failures][:5]}"
            statuses = migration_status(cluster, release)
            assert len(statuses) == release + 1, statuses
            assert all(state.startswith("applied") for state in statuses.values()), statuses
            report.append(f"release {release}: {took:.0f} s, {during} rounds meanwhile (read by release {release - 1}: "
                          f"{served[release - 1]}, by {release}: {served[release]}), {len(statuses)} bookmarks migrations applied")
        time.sleep(0.5)
    failures = load.failures()
    assert not failures, f"{len(failures)} of {load.count()} rounds failed: {[f[3] for f in failures][:5]}"

    # The contract is done: `url` is gone, and every acknowledged write reads back as written.
    assert sorted(migration_status(cluster, 4)) == [
        "bookmarks/0001_bookmarks", "bookmarks/0002_bookmark_target", "bookmarks/0003_bookmark_target_filled",
        "bookmarks/0004_bookmark_url_optional", "bookmarks/0005_drop_bookmark_url",
    ]
    session = requests.Session()
    latest = {"Apus-Consistency": max(positions, key=wal)}
    for bookmark, url in acknowledged.items():
        read = session.get(f"{cluster.url}/v1/bookmarks/{bookmark}", headers={**user["auth"], **latest}, timeout=30)
        assert read.status_code == 200 and read.json()["url"] == url, (bookmark, url, read.status_code, read.text[:200])
    assert len(acknowledged) == THREADS * IDS_PER_THREAD
    print(f"release drill: {load.count()} write-and-read rounds, none failed; slowest {load.slowest():.1f} s")
    print("\n".join(report))
    assert cluster.whole()
