"""A scripted, OpenAI-compatible chat completions server for tests and offline demos.

No real model: every answer comes from a rules file, so a crew that talks to it behaves the same on
every run. Standard library only. Listens on the loopback interface only.

    python3 tools/fake-llm/fake_llm.py --rules rules.json [--port 0] [--port-file FILE]

Endpoints (under ``/v1``, the base URL clients are given):

- ``POST /v1/chat/completions``: non-streaming and streaming (``"stream": true``, server-sent events
  ending in ``data: [DONE]``), text replies and tool calls, usage counts in every answer (and in the
  last chunk of a stream when ``stream_options.include_usage`` is set);
- ``GET /v1/models``: the one model name the rules give;
- ``GET /_fake/requests``: every chat request received so far, in order (for tests to inspect);
- ``GET /health``.

The rules file is JSON; see tools/fake-llm/README.md for its format.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"
# Bodies larger than this are refused: a crew's whole conversation fits many times over.
MAX_BODY_BYTES = 16 * 1024 * 1024
# Streamed text is sent in pieces of this many characters (tool-call arguments too).
STREAM_PIECE_CHARS = 8
CONDITIONS = ("contains", "last_contains", "last_role", "system_contains", "has_tool", "no_tools", "model", "stream",
              "matches")
REPLY_KEYS = ("content", "tool_calls", "error", "finish_reason")


class RulesError(ValueError):
    """The rules file is malformed; the message says where."""


class Rules:
    """The parsed rules file: the first rule whose ``when`` holds for a request gives the reply."""

    def __init__(self, document):
        if not isinstance(document, dict):
            raise RulesError("the rules file must hold a JSON object")
        unknown = set(document) - {"model", "rules", "default", "error"}
        if unknown:
            raise RulesError(f"unknown top-level keys: {sorted(unknown)}")
        self.model = document.get("model", "fake-llm")
        if not isinstance(self.model, str) or not self.model:
            raise RulesError("model must be a non-empty string")
        rules = document.get("rules", [])
        if not isinstance(rules, list):
            raise RulesError("rules must be a list")
        self.rules = [_rule(rule, f"rules[{index}]") for index, rule in enumerate(rules)]
        self.default = _reply(document["default"], "default") if "default" in document else None
        # Error mode: every completion fails this way, whatever the rules say.
        self.error = _error(document["error"], "error") if "error" in document else None

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as file:
                return cls(json.load(file))
        except json.JSONDecodeError as exc:
            raise RulesError(f"{path} is not valid JSON: {exc}") from None

    def reply_for(self, request):
        """The reply (a dict of REPLY_KEYS) for a chat request, and the name of the rule that gave it."""
        if self.error is not None:
            return {"error": self.error}, "error mode"
        for rule in self.rules:
            if _holds(rule["when"], request):
                return rule["reply"], rule["name"]
        if self.default is not None:
            return self.default, "default"
        last = _text(request.get("messages", [])[-1:] and request["messages"][-1].get("content"))
        return {"error": {"status": 400, "type": "invalid_request_error",
                          "message": f"fake-llm: no rule matches this request (last message: {last[:200]!r})"}}, "no rule"


def _rule(rule, where):
    if not isinstance(rule, dict):
        raise RulesError(f"{where} must be an object")
    unknown = set(rule) - {"name", "when", "reply"}
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}")
    when = rule.get("when", {})
    if not isinstance(when, dict):
        raise RulesError(f"{where}.when must be an object")
    unknown = set(when) - set(CONDITIONS)
    if unknown:
        raise RulesError(f"{where}.when: unknown conditions {sorted(unknown)}; known: {list(CONDITIONS)}")
    for key in ("contains", "last_contains", "system_contains", "has_tool"):
        if key in when and not (isinstance(when[key], str) or _strings(when[key])):
            raise RulesError(f"{where}.when.{key} must be a string or a list of strings")
    if "matches" in when:
        try:
            when = dict(when, matches=re.compile(when["matches"], re.DOTALL))
        except (re.error, TypeError) as exc:
            raise RulesError(f"{where}.when.matches is not a regular expression: {exc}") from None
    if "last_role" in when and when["last_role"] not in ("system", "user", "assistant", "tool"):
        raise RulesError(f"{where}.when.last_role must be system, user, assistant or tool")
    for key in ("stream", "no_tools"):
        if key in when and not isinstance(when[key], bool):
            raise RulesError(f"{where}.when.{key} must be true or false")
    if "reply" not in rule:
        raise RulesError(f"{where} has no reply")
    return {"name": str(rule.get("name", where)), "when": when, "reply": _reply(rule["reply"], f"{where}.reply")}


def _strings(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _reply(reply, where):
    if isinstance(reply, str):
        return {"content": reply}
    if not isinstance(reply, dict):
        raise RulesError(f"{where} must be a string or an object")
    unknown = set(reply) - set(REPLY_KEYS)
    if unknown:
        raise RulesError(f"{where}: unknown keys {sorted(unknown)}; known: {list(REPLY_KEYS)}")
    if "error" in reply:
        return {"error": _error(reply["error"], f"{where}.error")}
    if "content" not in reply and "tool_calls" not in reply:
        raise RulesError(f"{where} needs content, tool_calls or error")
    if "content" in reply and not isinstance(reply["content"], str):
        raise RulesError(f"{where}.content must be a string")
    calls = reply.get("tool_calls", [])
    if not isinstance(calls, list):
        raise RulesError(f"{where}.tool_calls must be a list")
    checked = []
    for index, call in enumerate(calls):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise RulesError(f"{where}.tool_calls[{index}] needs a name")
        arguments = call.get("arguments", {})
        if not isinstance(arguments, (dict, str)):
            raise RulesError(f"{where}.tool_calls[{index}].arguments must be an object or a JSON string")
        checked.append({"name": call["name"], "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)})
    out = {"content": reply.get("content"), "tool_calls": checked}
    out["finish_reason"] = reply.get("finish_reason", "tool_calls" if checked else "stop")
    return out


def _error(error, where):
    if isinstance(error, int):
        error = {"status": error}
    if not isinstance(error, dict):
        raise RulesError(f"{where} must be a status code or an object")
    status = error.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise RulesError(f"{where}.status must be an HTTP error status (400-599)")
    return {"status": status, "type": error.get("type", "server_error" if status >= 500 else "invalid_request_error"),
            "message": str(error.get("message", f"fake-llm: scripted error {status}"))}


def _text(content):
    """A message's content as text: strings as they are, content parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def _any(needles, haystack):
    return any(needle in haystack for needle in ([needles] if isinstance(needles, str) else needles))


def _tool_names(request):
    names = []
    for tool in request.get("tools") or []:
        if isinstance(tool, dict):
            function = tool.get("function") if isinstance(tool.get("function"), dict) else tool
            names.append(function.get("name"))
    return names


def _holds(when, request):
    messages = request.get("messages") or []
    texts = [_text(message.get("content")) for message in messages]
    everything = "\n".join(texts)
    last = messages[-1] if messages else {}
    checks = {
        "contains": lambda value: _any(value, everything),
        "last_contains": lambda value: _any(value, _text(last.get("content"))),
        "last_role": lambda value: last.get("role") == value,
        "system_contains": lambda value: _any(value, "\n".join(
            _text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))),
        "has_tool": lambda value: all(name in _tool_names(request) for name in ([value] if isinstance(value, str) else value)),
        "no_tools": lambda value: (not _tool_names(request)) == value,
        "model": lambda value: request.get("model") == value,
        "stream": lambda value: bool(request.get("stream")) == value,
        "matches": lambda value: value.search(everything) is not None,
    }
    return all(checks[key](value) for key, value in when.items())


def count_tokens(text):
    """A deterministic stand-in for a tokenizer: words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))


class Completion:
    """One answer to one chat request, shaped as OpenAI's API shapes it."""

    _ids = iter(range(1, sys.maxsize))
    _lock = threading.Lock()

    def __init__(self, model, request, reply):
        with Completion._lock:
            self.number = next(Completion._ids)
        self.id = f"chatcmpl-fake{self.number}"
        self.created = int(time.time())
        self.model = request.get("model") or model
        self.content = reply.get("content")
        self.calls = [{"id": f"call_fake{self.number}_{index}", "type": "function",
                       "function": {"name": call["name"], "arguments": call["arguments"]}}
                      for index, call in enumerate(reply.get("tool_calls") or [])]
        self.finish_reason = reply.get("finish_reason", "stop")
        prompt = "\n".join(_text(m.get("content")) for m in request.get("messages") or [])
        answer = (self.content or "") + "".join(c["function"]["name"] + c["function"]["arguments"] for c in self.calls)
        self.usage = {"prompt_tokens": count_tokens(prompt), "completion_tokens": count_tokens(answer)}
        self.usage["total_tokens"] = self.usage["prompt_tokens"] + self.usage["completion_tokens"]

    def body(self):
        message = {"role": "assistant", "content": self.content}
        if self.calls:
            message["tool_calls"] = self.calls
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason, "logprobs": None}],
                "usage": self.usage}

    def chunks(self, include_usage):
        """The streamed form: a role chunk, content pieces, tool-call pieces, a finish chunk, maybe usage."""
        yield self._chunk({"role": "assistant", "content": ""})
        text = self.content or ""
        for start in range(0, len(text), STREAM_PIECE_CHARS):
            yield self._chunk({"content": text[start:start + STREAM_PIECE_CHARS]})
        for index, call in enumerate(self.calls):
            yield self._chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                               "function": {"name": call["function"]["name"], "arguments": ""}}]})
            arguments = call["function"]["arguments"]
            for start in range(0, len(arguments), STREAM_PIECE_CHARS):
                yield self._chunk({"tool_calls": [{"index": index, "function": {
                    "arguments": arguments[start:start + STREAM_PIECE_CHARS]}}]})
        yield self._chunk({}, finish_reason=self.finish_reason)
        if include_usage:
            yield {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                   "choices": [], "usage": self.usage}

    def _chunk(self, delta, finish_reason=None):
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}


class FakeLLM(ThreadingHTTPServer):
    """The server: ``FakeLLM(rules).serve_forever()``; ``base_url`` is what clients are given."""

    daemon_threads = True

    def __init__(self, rules, port=0, log=None):
        super().__init__((LOOPBACK, port), _Handler)
        self.rules = rules
        self.requests = []
        self.requests_lock = threading.Lock()
        self.log = log

    @property
    def base_url(self):
        return f"http://{LOOPBACK}:{self.server_address[1]}/v1"

    def record(self, request, rule):
        with self.requests_lock:
            self.requests.append({"request": request, "rule": rule})
        if self.log:
            print(f"fake-llm: {'stream' if request.get('stream') else 'call'} -> {rule}", file=self.log, flush=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-llm/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # the server's own record() says what matters
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": self.server.rules.model, "object": "model",
                                                          "created": 0, "owned_by": "fake-llm"}]})
        elif path == "/_fake/requests":
            with self.server.requests_lock:
                self._json(200, {"requests": list(self.server.requests)})
        elif path == "/health":
            self._json(200, {"status": "ok"})
        else:
            self._error(404, "invalid_request_error", f"fake-llm has no {path}")

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._drain()
            self._error(404, "invalid_request_error", f"fake-llm serves only /v1/chat/completions, not {path}")
            return
        request = self._read_json()
        if request is None:
            return
        reply, rule = self.server.rules.reply_for(request)
        self.server.record(request, rule)
        if "error" in reply:
            error = reply["error"]
            self._error(error["status"], error["type"], error["message"])
            return
        completion = Completion(self.server.rules.model, request, reply)
        if request.get("stream"):
            options = request.get("stream_options") or {}
            self._stream(completion.chunks(bool(options.get("include_usage"))))
        else:
            self._json(200, completion.body())

    def _drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_BODY_BYTES:
            self.rfile.read(length)

    def _read_json(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length <= 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._error(400, "invalid_request_error", f"a JSON body of 1 to {MAX_BODY_BYTES} bytes is required")
            return None
        try:
            request = json.loads(self.rfile.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error(400, "invalid_request_error", f"the body is not JSON: {exc}")
            return None
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list) or not request["messages"]:
            self._error(400, "invalid_request_error", "the body must be an object with a non-empty messages list")
            return None
        return request

    def _json(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status, kind, message):
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

    def _stream(self, chunks):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self._send_chunk(f"data: {json.dumps(chunk)}\n\n".encode("utf-8"))
        self._send_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _send_chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible chat completions server (loopback only)")
    parser.add_argument("--rules", required=True, help="the rules file (JSON)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--port-file", help="write the port chosen here once listening")
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    options = parser.parse_args(argv)
    try:
        rules = Rules.load(options.rules)
    except (OSError, RulesError) as exc:
        print(f"fake-llm: {exc}", file=sys.stderr)
        return 2
    server = FakeLLM(rules, options.port, log=None if options.quiet else sys.stderr)
    if options.port_file:
        with open(options.port_file + ".tmp", "w") as file:
            file.write(str(server.server_address[1]))
        os.replace(options.port_file + ".tmp", options.port_file)
    print(f"fake-llm: listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
