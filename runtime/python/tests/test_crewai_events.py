"""The parts of the CrewAI event bridge that need no CrewAI: the fallback ordering, redaction, usage,
cutting. Real CrewAI crews exercise the whole bridge, its ordering too, in test_crewai.py."""
import threading

from crewship_runtime import crewai_events
from crewship_runtime.crewai_events import REDACTED, _cut, _redact, _reporting_failures, _Sequencer, _usage


class Recorder:
    def __init__(self):
        self.sent = []
        self.lock = threading.Lock()

    def __call__(self, event_type, data):
        with self.lock:
            self.sent.append((event_type, data))


def test_held_events_leave_in_key_order_whatever_order_they_arrived_in():
    sent = Recorder()
    sequencer = _Sequencer(sent, hold=3600)  # nothing is due before close(): the order is the key's alone
    for key, name in [((2.0, 7), "c"), ((1.0, 9), "a"), ((2.0, 3), "b"), ((float("inf"), 1), "d")]:
        sequencer.add(key, "x." + name, {})
    sequencer.close()
    assert [t for t, _ in sent.sent] == ["x.a", "x.b", "x.c", "x.d"]


def test_equal_keys_keep_their_arrival_order_and_events_after_close_go_out_at_once():
    sent = Recorder()
    sequencer = _Sequencer(sent, hold=3600)
    sequencer.add((1.0, 1), "first", {"n": 1})
    sequencer.add((1.0, 1), "second", {"n": 2})
    sequencer.close()
    sequencer.add((0.0, 0), "late", {})
    assert sent.sent == [("first", {"n": 1}), ("second", {"n": 2}), ("late", {})]


def test_without_a_hold_each_event_is_sent_as_it_arrives():
    sent = Recorder()
    sequencer = _Sequencer(sent, hold=0)
    done = threading.Event()
    sequencer.add((5.0, 5), "one", {})
    while not sent.sent:
        done.wait(0.01)
    sequencer.add((1.0, 1), "earlier but late", {})  # its turn has passed: sent rather than lost
    sequencer.close()
    assert [t for t, _ in sent.sent] == ["one", "earlier but late"]


def test_an_event_that_cannot_be_sent_becomes_an_error_event():
    sent = Recorder()

    def send(event_type, data):
        if "huge" in data:
            raise ValueError("the tool.completed event is 2000000 bytes of JSON")
        sent(event_type, data)

    _reporting_failures(send)("tool.completed", {"huge": "x"})
    assert sent.sent == [("tool.completed", {"error": "event not sent: the tool.completed event is 2000000 bytes of JSON"})]


def test_secret_looking_arguments_are_redacted_at_any_depth():
    args = {"query": "AI agents", "api_key": "sk-1", "nested": {"Password": "p", "list": [{"auth_token": "t", "n": 1}]},
            "apikey": "k", "client_secret": "s", "session_id": "x", "limit": 5}
    assert _redact(args) == {"query": "AI agents", "api_key": REDACTED, "nested": {"Password": REDACTED, "list": [
        {"auth_token": REDACTED, "n": 1}]}, "apikey": REDACTED, "client_secret": REDACTED, "session_id": REDACTED, "limit": 5}
    assert _redact("plain text arguments") == "plain text arguments"


def test_usage_is_read_under_openai_and_anthropic_names():
    assert _usage({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cached": 0}) == {
        "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    assert _usage({"input_tokens": 7, "output_tokens": 3}) == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    assert _usage(None) is None


def test_long_text_is_cut_with_a_note():
    text = "x" * (crewai_events.MAX_TEXT_CHARS + 10)
    assert _cut(text) == "x" * crewai_events.MAX_TEXT_CHARS + "… (10 more characters)"
    assert _cut("short") == "short" and _cut(None) is None and _cut(12) == "12"


def test_the_bridge_is_a_no_op_without_crewai():
    sent = []
    with crewai_events.bridge():
        sent.append("ran")
    assert sent == ["ran"]
