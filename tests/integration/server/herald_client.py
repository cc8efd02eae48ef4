"""A small Centrifugo-protocol client and token minting for the server's
integration tests (asyncio, Debian's python3-websockets).

    client = await Client.open(server.ws_url)
    reply = await client.command({"connect": {"token": tok}})
    code = await client.closed()          # the close code the server sent

Tokens are made here with the standard library (HS256) or the openssl CLI
(RS256), independently of the server's own signer.
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import websockets

TIMEOUT = 5.0


# -- tokens ------------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(claims: dict, alg: str = "HS256") -> str:
    header = {"alg": alg, "typ": "JWT"}
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


def hs256(claims: dict, secret: bytes | str) -> str:
    if isinstance(secret, str):
        secret = secret.encode()
    signing_input = jwt_parts(claims, "HS256")
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def alg_none(claims: dict) -> str:
    return jwt_parts(claims, "none") + "."


def rs256(claims: dict, private_key_path: str) -> str:
    signing_input = jwt_parts(claims, "RS256")
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", private_key_path],
                         input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


def make_rsa_keys(directory: str) -> tuple[str, str]:
    """(private key path, public key path), PEM, made with the openssl CLI."""
    private = os.path.join(directory, "rsa-private.pem")
    public = os.path.join(directory, "rsa-public.pem")
    subprocess.run(["openssl", "genrsa", "-out", private, "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", private, "-pubout", "-out", public], check=True, capture_output=True)
    return private, public


def claims(user: str, ttl: int = 3600, **extra) -> dict:
    c = {"sub": user, "exp": int(time.time()) + ttl}
    c.update(extra)
    return c


# -- WebSocket client -----------------------------------------------------------
class Client:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.pushes: list[dict] = []
        self.replies: dict[int, dict] = {}

    @classmethod
    async def open(cls, url: str, **kwargs) -> "Client":
        ws = await asyncio.wait_for(websockets.connect(url, max_size=None, ping_interval=None, **kwargs), TIMEOUT)
        return cls(ws)

    async def send_raw(self, data: str | bytes):
        await self.ws.send(data)

    def new_id(self) -> int:
        i = self.next_id
        self.next_id += 1
        return i

    async def _read_once(self, timeout: float):
        message = await asyncio.wait_for(self.ws.recv(), timeout)
        if isinstance(message, bytes):
            message = message.decode()
        for line in message.split("\n"):
            if not line.strip():
                continue
            obj = json.loads(line)
            if obj == {}:  # server ping: answer with a pong
                await self.ws.send("{}")
            elif "id" in obj and obj["id"]:
                self.replies[obj["id"]] = obj
            else:
                self.pushes.append(obj)

    async def reply(self, cmd_id: int, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while cmd_id not in self.replies:
            await self._read_once(max(0.01, deadline - time.monotonic()))
        return self.replies.pop(cmd_id)

    async def command(self, body: dict, timeout: float = TIMEOUT) -> dict:
        cmd_id = self.new_id()
        await self.ws.send(json.dumps({"id": cmd_id, **body}))
        return await self.reply(cmd_id, timeout)

    async def connect(self, token: str | None = None) -> dict:
        body = {"token": token} if token else {}
        return await self.command({"connect": body})

    async def push(self, predicate, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, p in enumerate(self.pushes):
                if predicate(p):
                    return self.pushes.pop(i)
            await self._read_once(max(0.01, deadline - time.monotonic()))

    async def closed(self, timeout: float = TIMEOUT) -> int:
        """Reads until the server closes; returns the close code it sent."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                await self._read_once(max(0.01, deadline - time.monotonic()))
        except websockets.ConnectionClosed:
            pass
        return self.ws.close_code

    async def close(self):
        await self.ws.close()


# -- HTTP ------------------------------------------------------------------------
def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def api(server, method: str, params: dict, key: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-API-Key"] = key
    status, body, _ = http("POST", f"{server.http_url}/api/{method}", json.dumps(params).encode(), headers)
    return status, json.loads(body) if body else {}
