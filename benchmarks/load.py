"""The load client and server processes the serving benchmarks share: keep-alive loopback HTTP from asyncio."""

import asyncio
import pathlib
import signal
import subprocess
import tempfile
import time
import urllib.request

#: Seconds between the clients' connections, as clients arrive over time: opened all at
#: once, one worker's event loop accepts them in one go and the other idles (benchmarks/RESULTS.md).
CONNECT_EVERY = 0.01


def raw_request(path, body, content_type):
    """A keep-alive HTTP/1.1 POST as bytes."""
    if isinstance(body, str):
        body = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(port, requests, state, deadline, latencies, outcomes, delay):
    await asyncio.sleep(delay)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline and state["left"] > 0:
            state["left"] -= 1
            index = state["next"]
            state["next"] += 1
            request, check = requests[index % len(requests)]
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            outcomes.append(check(status, body))
    finally:
        writer.close()


async def _drive(port, requests, concurrency, seconds, count):
    state = {"next": 0, "left": count or float("inf")}
    deadline = time.perf_counter() + (seconds or float("inf"))
    latencies, outcomes = [], []
    started = time.perf_counter()
    await asyncio.gather(
        *(_connection(port, requests, state, deadline, latencies, outcomes, CONNECT_EVERY * index)
          for index in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "reads_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
        "errors": outcomes.count(False),
    }


def drive(port, requests, concurrency, seconds=None, count=None):
    """Runs `concurrency` keep-alive connections over `requests` [(bytes, check(status, body))]."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_drive(port, requests, concurrency, seconds, count))


def wait_healthy(port, process, path="/health", timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            process.log.seek(0)
            raise RuntimeError(f"the server exited: {process.log.read()[-2000:].decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # often: the labelling benchmark times the start
    raise RuntimeError("the server did not become healthy")


def resident_mb(pid):
    """Resident memory of a process and all its descendants, MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = pathlib.Path(f"/proc/{current}/status").read_text()
            total += int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
            for task in pathlib.Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return round(total / 1024, 1)


def start(command, port, health="/health", **kwargs):
    """Starts a server whose output (an access log line per request) goes to a scratch file,
    and waits until `GET health` answers 200."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=log, stderr=log, **kwargs)
    process.log = log
    wait_healthy(port, process, health)
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.log.close()
    return process.returncode
