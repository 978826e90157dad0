"""A small HTTP load generator: ``loadgen.py URL SESSIONID USERS REQUESTS [cold]`` runs USERS
threads, each requesting URL REQUESTS times with the session cookie, and prints JSON with the
latency percentiles (ms), errors and the last page's HTML (for page weight). Without ``cold`` two
warm-up requests go first (not counted); with it the users start together on a cold server and
``first_max_ms`` is the slowest of their first requests. Standard library only, so it runs as a
separate process from the server it measures."""
import http.client
import json
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit


def main():
    url, session, users, per_user = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cold = sys.argv[5:6] == ["cold"]
    parts = urlsplit(url)
    timings, errors, pages, firsts = [], [], [], []
    lock = threading.Lock()

    def user():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        for i in range(per_user):
            t = time.perf_counter()
            conn.request("GET", parts.path, headers={"Cookie": f"sessionid={session}",
                                                     "Accept-Encoding": "identity"})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                timings.append(elapsed)
                if i == 0:
                    firsts.append(elapsed)
                if response.status != 200:
                    errors.append(response.status)
                elif not pages:
                    pages.append(body)
        conn.close()

    # One warm-up request per server thread, not counted.
    warm = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    for _ in range(0 if cold else 2):
        warm.request("GET", parts.path, headers={"Cookie": f"sessionid={session}"})
        warm.getresponse().read()
    threads = [threading.Thread(target=user) for _ in range(users)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    timings.sort()
    q = statistics.quantiles(timings, n=20)
    print(json.dumps({"n": len(timings), "errors": len(errors), "p50_ms": statistics.median(
        timings), "p95_ms": q[18], "max_ms": timings[-1], "first_max_ms": max(firsts),
        "wall_s": time.perf_counter() - started,
        "html": (pages[0] if pages else b"").decode("latin-1")}))


if __name__ == "__main__":
    main()
