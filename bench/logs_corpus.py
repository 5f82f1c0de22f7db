"""Writes a seeded log corpus for bench/logs.sh: access-log and application lines of about 200
bytes over the last day, as one plain file (for gzip and grep), Loki push bodies and
Elasticsearch bulk bodies of `--batch` lines each.

Usage: logs_corpus.py OUT_DIR --lines N --batch 1000"""

import argparse
import json
import os
import random
import time

APPS = ["api", "web", "worker", "billing"]
HOSTS = [f"node-{n}" for n in range(1, 5)]
PATHS = ["/v1/items", "/v1/orders", "/v1/users/me", "/v1/carts", "/health/ready", "/v1/search"]
WORDS = ["cache", "retry", "timeout", "upstream", "queue", "payment", "session", "index", "flush", "commit"]


def line(rng: random.Random, app: str, n: int) -> tuple[str, str]:
    level = rng.choices(["info", "warn", "error"], weights=[90, 8, 2])[0]
    # "checkout" is in about half of the lines, "refund-4711" in about 1%.
    tag = "checkout" if rng.random() < 0.5 else "browse"
    rare = " refund-4711" if rng.random() < 0.01 else ""
    if app in ("api", "web"):
        status = rng.choices([200, 201, 304, 404, 500], weights=[80, 5, 5, 8, 2])[0]
        text = (f'10.0.{rng.randrange(256)}.{rng.randrange(256)} - - "GET {rng.choice(PATHS)}/{rng.randrange(100000)} HTTP/1.1" '
                f'{status} {rng.randrange(100, 90000)} {rng.randrange(1, 900)}ms flow={tag}{rare} ref="https://shop.example.com/c/{rng.randrange(1000)}" '
                f'ua="Mozilla/5.0 (X11; Linux x86_64) Firefox/{rng.randrange(100, 130)}.0" req={n:012x}')
    else:
        words = " ".join(rng.choice(WORDS) for _ in range(6))
        text = (f'level={level} msg="{words}" flow={tag}{rare} job={rng.randrange(10**6)} '
                f'attempt={rng.randrange(1, 5)} took={rng.random() * 2:.3f}s component={rng.choice(WORDS)}-{rng.choice(WORDS)} '
                f'worker=w{rng.randrange(64)} trace={rng.getrandbits(64):016x} req={n:012x}')
    return level, text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "push"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "bulk"), exist_ok=True)
    end = time.time_ns() - 60 * 10**9
    start = end - 86_400 * 10**9
    step = (end - start) // args.lines
    with open(os.path.join(args.out, "corpus.log"), "w") as plain:
        for batch in range(0, args.lines, args.batch):
            streams: dict[tuple, list] = {}
            bulk = []
            for n in range(batch, min(args.lines, batch + args.batch)):
                app = rng.choice(APPS)
                host = rng.choice(HOSTS)
                level, text = line(rng, app, n)
                ts = start + n * step
                plain.write(text + "\n")
                streams.setdefault((app, host, level), []).append([str(ts), text])
                bulk.append(json.dumps({"index": {}}))
                bulk.append(json.dumps({"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts // 10**9)) + f".{ts % 10**9 // 10**6:03d}Z",
                                        "message": text, "app": app, "host": host, "level": level}))
            body = {"streams": [{"stream": {"app": a, "host": h, "level": l}, "values": v} for (a, h, l), v in streams.items()]}
            with open(os.path.join(args.out, "push", f"{batch // args.batch:06d}.json"), "w") as handle:
                json.dump(body, handle)
            with open(os.path.join(args.out, "bulk", f"{batch // args.batch:06d}.ndjson"), "w") as handle:
                handle.write("\n".join(bulk) + "\n")
    print(json.dumps({"lines": args.lines, "start": start, "end": end}))


if __name__ == "__main__":
    main()
