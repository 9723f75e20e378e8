"""The fake LLM over real HTTP: a server on a loopback port, requests as an OpenAI client sends them."""
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

TOOL_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOL_DIR))

from fake_llm import FakeLLM, Rules, RulesError, count_tokens  # noqa: E402

SEARCH_TOOL = {"type": "function", "function": {"name": "notes_search", "parameters": {"type": "object"}}}
RULES = {
    "model": "fake-gpt",
    "rules": [
        {"name": "fail", "when": {"last_contains": "please fail"},
         "reply": {"error": {"status": 429, "message": "slow down"}}},
        {"name": "answer after tool", "when": {"last_role": "tool"}, "reply": "Final: the notes say {{nothing}}."},
        {"name": "search", "when": {"has_tool": "notes_search", "last_role": "user"},
         "reply": {"tool_calls": [{"name": "notes_search", "arguments": {"query": "AI agents"}}]}},
        {"name": "analyst", "when": {"system_contains": "Analyst"}, "reply": {"content": "# Report\nAll good."}},
        {"name": "regex", "when": {"matches": "topic: [A-Z]{3}\\b"}, "reply": "three capitals"},
    ],
}


@pytest.fixture
def llm():
    server = FakeLLM(Rules(RULES))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def post(server, body, raw=None):
    request = urllib.request.Request(server.base_url + "/chat/completions", method="POST",
                                     data=raw if raw is not None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def chat(*messages, **extra):
    return {"model": "gpt-4o-mini", "messages": [{"role": r, "content": c} for r, c in messages], **extra}


def sse(data):
    lines = [line for line in data.decode().split("\n") if line]
    assert all(line.startswith("data: ") for line in lines), lines
    assert lines[-1] == "data: [DONE]"
    return [json.loads(line[6:]) for line in lines[:-1]]


def test_listens_on_loopback_only(llm):
    assert llm.server_address[0] == "127.0.0.1"
    assert llm.base_url.startswith("http://127.0.0.1:") and llm.base_url.endswith("/v1")


def test_text_reply_with_usage(llm):
    status, kind, body = post(llm, chat(("system", "You are the Reporting Analyst"), ("user", "Write it")))
    assert (status, kind) == (200, "application/json")
    answer = json.loads(body)
    assert answer["object"] == "chat.completion" and answer["model"] == "gpt-4o-mini"
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": "# Report\nAll good."}
    assert answer["choices"][0]["finish_reason"] == "stop"
    prompt = count_tokens("You are the Reporting Analyst\nWrite it")
    assert answer["usage"] == {"prompt_tokens": prompt, "completion_tokens": count_tokens("# Report\nAll good."),
                               "total_tokens": prompt + count_tokens("# Report\nAll good.")}
    assert prompt == 7


def test_tool_call_reply_only_when_the_tool_is_offered(llm):
    status, _, body = post(llm, chat(("user", "Research"), tools=[SEARCH_TOOL]))
    message = json.loads(body)["choices"][0]
    assert status == 200 and message["finish_reason"] == "tool_calls"
    (call,) = message["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "notes_search", "arguments": '{"query": "AI agents"}'}
    # Without the tool nothing matches: a clear 400 naming the last message.
    status, _, body = post(llm, chat(("user", "Research")))
    assert status == 400
    assert "no rule matches" in json.loads(body)["error"]["message"] and "Research" in json.loads(body)["error"]["message"]


def test_the_first_matching_rule_wins_and_tool_results_are_seen(llm):
    body = chat(("user", "Research"), tools=[SEARCH_TOOL])
    body["messages"] += [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "notes_search", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "- note"}]
    status, _, answer = post(llm, body)
    assert status == 200
    assert json.loads(answer)["choices"][0]["message"]["content"] == "Final: the notes say {{nothing}}."


def test_streamed_text_reassembles_and_ends_with_usage_when_asked(llm):
    status, kind, body = post(llm, chat(("system", "Analyst"), ("user", "go"), stream=True,
                                        stream_options={"include_usage": True}))
    assert (status, kind) == (200, "text/event-stream")
    chunks = sse(body)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "# Report\nAll good."
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 1
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish == ["stop"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == count_tokens(text)
    # Without include_usage there is no usage chunk.
    assert all(c["choices"] for c in sse(post(llm, chat(("system", "Analyst"), ("user", "go"), stream=True))[2]))


def test_streamed_tool_call_reassembles(llm):
    chunks = sse(post(llm, chat(("user", "Research"), tools=[SEARCH_TOOL], stream=True))[2])
    calls = {}
    for chunk in chunks:
        for part in chunk["choices"][0]["delta"].get("tool_calls") or []:
            call = calls.setdefault(part["index"], {"name": "", "arguments": ""})
            call["name"] += part.get("function", {}).get("name") or ""
            call["arguments"] += part.get("function", {}).get("arguments") or ""
    assert calls == {0: {"name": "notes_search", "arguments": '{"query": "AI agents"}'}}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_scripted_errors_have_openai_shape(llm):
    status, _, body = post(llm, chat(("user", "please fail")))
    assert status == 429
    assert json.loads(body) == {"error": {"message": "slow down", "type": "invalid_request_error", "param": None,
                                          "code": None}}


def test_error_mode_fails_every_completion():
    server = FakeLLM(Rules(dict(RULES, error={"status": 503, "message": "the model is overloaded"})))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, _, body = post(server, chat(("system", "Analyst"), ("user", "go")))
        assert status == 503 and json.loads(body)["error"]["message"] == "the model is overloaded"
        assert json.loads(body)["error"]["type"] == "server_error"
    finally:
        server.shutdown()
        server.server_close()


def test_regex_rules_and_bad_requests(llm):
    assert json.loads(post(llm, chat(("user", "topic: ABC")))[2])["choices"][0]["message"]["content"] == "three capitals"
    assert post(llm, chat(("user", "topic: ABCD")))[0] == 400
    assert post(llm, None, raw=b"{not json")[0] == 400
    assert post(llm, {"messages": []})[0] == 400


def test_requests_are_recorded_with_the_rule_that_answered(llm):
    post(llm, chat(("system", "Analyst"), ("user", "go"), temperature=0))
    with urllib.request.urlopen(llm.base_url.replace("/v1", "/_fake/requests"), timeout=5) as response:
        recorded = json.loads(response.read())["requests"]
    assert [r["rule"] for r in recorded] == ["analyst"]
    assert recorded[0]["request"]["temperature"] == 0
    with urllib.request.urlopen(llm.base_url + "/models", timeout=5) as response:
        assert json.loads(response.read())["data"][0]["id"] == "fake-gpt"


@pytest.mark.parametrize("document, message", [
    ([], "must hold a JSON object"),
    ({"rulez": []}, "unknown top-level keys"),
    ({"rules": [{"when": {"last_word": "x"}, "reply": "y"}]}, "unknown conditions ['last_word']"),
    ({"rules": [{"when": {}}]}, "rules[0] has no reply"),
    ({"rules": [{"reply": {"content": 3}}]}, "rules[0].reply.content must be a string"),
    ({"rules": [{"reply": {"error": {"status": 200}}}]}, "must be an HTTP error status"),
    ({"rules": [{"when": {"matches": "("}, "reply": "x"}]}, "not a regular expression"),
    ({"rules": [{"reply": {"tool_calls": [{"arguments": {}}]}}]}, "tool_calls[0] needs a name"),
])
def test_malformed_rules_are_refused_with_the_place(document, message):
    with pytest.raises(RulesError, match=None) as caught:
        Rules(document)
    assert message in str(caught.value)


def test_command_line_serves_until_stopped_and_refuses_bad_rules(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"default": "hello"}))
    port_file = tmp_path / "port"
    process = subprocess.Popen([sys.executable, str(TOOL_DIR / "fake_llm.py"), "--rules", str(rules), "--port-file",
                                str(port_file), "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(port_file.read_text())
        assert line.strip() == f"fake-llm: listening on http://127.0.0.1:{port}/v1"
        server = type("S", (), {"base_url": f"http://127.0.0.1:{port}/v1"})
        assert json.loads(post(server, chat(("user", "hi")))[2])["choices"][0]["message"]["content"] == "hello"
    finally:
        process.terminate()
        process.wait(10)
    rules.write_text("{")
    failed = subprocess.run([sys.executable, str(TOOL_DIR / "fake_llm.py"), "--rules", str(rules)],
                            capture_output=True, text=True, timeout=30)
    assert failed.returncode == 2 and "is not valid JSON" in failed.stderr
