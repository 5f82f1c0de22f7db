"""Ships a directory of request bodies to one URL the way a log shipper does: a few workers, each
on one kept-alive connection, posting batch after batch. Light next to the server (no process per
batch), so the figure measured is the server's. Prints the client's own CPU seconds as JSON.

Usage: log_shipper.py DIR URL [--workers 4] [--header 'Name: value' ...]
"""

import argparse
import http.client
import json
import os
import queue
import resource
import sys
import threading
import urllib.parse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("url")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    headers = {"Content-Type": "application/json"}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    path = url.path + (f"?{url.query}" if url.query else "")

    bodies: "queue.Queue[str]" = queue.Queue()
    for name in sorted(os.listdir(args.dir)):
        bodies.put(os.path.join(args.dir, name))
    failures: list[str] = []

    def work() -> None:
        connection = http.client.HTTPConnection(url.hostname, url.port or 80)
        while True:
            try:
                file = bodies.get_nowait()
            except queue.Empty:
                break
            with open(file, "rb") as handle:
                body = handle.read()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                failures.append(f"{file}: {response.status}")
        connection.close()

    workers = [threading.Thread(target=work) for _ in range(args.workers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"failures": len(failures), "client_cpu_seconds": usage.ru_utime + usage.ru_stime}))
    if failures:
        print("\n".join(failures[:5]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
