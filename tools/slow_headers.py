#!/usr/bin/env python3
"""Slowloris clients for tools/serve_load.sh: N connections that each send one header byte every
INTERVAL seconds and reconnect when the server cuts them off; prints how often it did."""
import socket
import sys
import threading
import time

host, port, count, interval, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
cut = [0] * count
end = time.time() + seconds


def client(i):
    while time.time() < end:
        try:
            s = socket.create_connection((host, port))
            s.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while time.time() < end:
                time.sleep(interval)
                s.sendall(b"a")
        except OSError:
            cut[i] += 1
            time.sleep(0.1)


threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"slow clients: {count}, one byte per {interval} s; cut off by the server {sum(cut)} times in {seconds:.0f} s")
