"""The wire shape of the protocol channel: one JSON object per line, UTF-8, each with ``"v": 1``."""
import json

PROTOCOL_VERSION = 1
# The server's limits (executors: ProtocolParser.MAX_EVENT_CHARS, CrewProcess.MAX_PROTOCOL_LINE_BYTES),
# counted here in UTF-8 bytes, which is never less than the server's count.
MAX_EVENT_BYTES = 1024 * 1024
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def event(event_type, data):
    return {"v": PROTOCOL_VERSION, "kind": "event", "type": event_type, "data": data}


def result(output, values):
    return {"v": PROTOCOL_VERSION, "kind": "result", "output": output, "values": values}


def error(failure):
    return {"v": PROTOCOL_VERSION, "kind": "error", "error": failure}


def encode(message):
    """One protocol line. ``message`` must already be JSON-safe (see serialize.to_json)."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (undecodable file names, for instance) are not UTF-8: show them as U+FFFD.
        data = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")
    return data + b"\n"
