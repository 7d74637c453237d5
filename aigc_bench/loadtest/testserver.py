"""A tiny OpenAI-shaped streaming server with known, injected delays.

It answers POST /v1/completions and /v1/chat/completions (streamed or not)
with `max_tokens` one-word chunks: the first after `ttft` seconds, the next
ones `itl` seconds apart, then a usage chunk and [DONE]. GET /health is 200.
No model, no framework: plain asyncio streams with HTTP/1.1 keep-alive and
chunked transfer encoding, so that it costs almost nothing per request. It
exists to measure the load tool itself: its timing error (measured minus
injected delay) and the request rate it sustains from one core.

    python -m aigc_bench.loadtest.testserver --port 8100 --ttft 0.05 --itl 0.01
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


class DelayServer:
    def __init__(self, ttft: float = 0.0, itl: float = 0.0):
        self.ttft, self.itl = ttft, itl

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another on this connection
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines if ":" in h)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if method == "GET" and path == "/health":
                    self._send(writer, 200, b'{"status":"ok"}')
                elif method == "POST" and path in ("/v1/completions", "/v1/chat/completions"):
                    await self._generate(writer, path.endswith("chat/completions"), json.loads(body or b"{}"))
                else:
                    self._send(writer, 404, b'{"error":{"message":"not found","type":"not_found_error","param":null,"code":null}}')
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _send(writer, status: int, payload: bytes) -> None:
        reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
        writer.write(f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n\r\n".encode() + payload)

    async def _generate(self, writer, chat: bool, request: dict) -> None:
        n = int(request.get("max_tokens") or 16)
        started = time.perf_counter()

        def chunk(i: int) -> dict:
            if chat:
                return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": f" w{i}"}, "finish_reason": None if i < n - 1 else "length"}]}
            return {"object": "text_completion", "choices": [{"index": 0, "text": f" w{i}", "finish_reason": None if i < n - 1 else "length"}]}

        usage = {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1}
        if not request.get("stream"):
            await asyncio.sleep(self.ttft + self.itl * (n - 1))
            text = "".join(f" w{i}" for i in range(n))
            choice = {"index": 0, "message": {"role": "assistant", "content": text}} if chat else {"index": 0, "text": text}
            self._send(writer, 200, json.dumps({"choices": [choice | {"finish_reason": "length"}], "usage": usage}).encode())
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for i in range(n):
            # absolute schedule: chunk i is due at ttft + i * itl after arrival (no drift)
            due = started + self.ttft + i * self.itl - time.perf_counter()
            if due > 0:
                await asyncio.sleep(due)
            _write_chunk(writer, b"data: " + json.dumps(chunk(i)).encode() + b"\n\n")
            await writer.drain()
        _write_chunk(writer, b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\ndata: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")


def _write_chunk(writer, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


async def serve(port: int, ttft: float, itl: float, host: str = "127.0.0.1") -> None:
    server = await asyncio.start_server(DelayServer(ttft, itl).handle, host, port, backlog=2048)
    async with server:
        await server.serve_forever()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ttft", type=float, default=0.0, help="seconds before the first chunk")
    parser.add_argument("--itl", type=float, default=0.0, help="seconds between chunks")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.ttft, args.itl))


if __name__ == "__main__":
    main()
