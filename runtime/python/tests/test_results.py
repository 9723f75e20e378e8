"""Results become JSON: JSON-native values as they are, CrewAI and pydantic objects by duck typing,
anything else by str(). The crew-side classes here are stand-ins shaped like CrewAI's and pydantic's."""
import json

from crewship_runtime.serialize import MAX_DEPTH, to_json

STAND_INS = """
class Model:  # a pydantic model: model_dump(mode="json")
    def __init__(self, **fields):
        self.fields = fields

    def model_dump(self, mode="python", exclude=None):
        assert mode == "json"
        return {k: v for k, v in self.fields.items() if k not in (exclude or ())}


class CrewOutput:
    def __init__(self):
        self.raw = "the final answer"
        self.json_dict = {"answer": 42}
        self.pydantic = Model(answer=42, sources=["a", "b"])
        self.tasks_output = [
            Model(description="research", raw="notes", agent="Researcher", pydantic="BIG", messages=["LONG"]),
            {"description": "write", "raw": "report"},
        ]
        self.token_usage = Model(total_tokens=120, prompt_tokens=100, completion_tokens=20, successful_requests=2)
"""


def test_crew_output_is_reported_as_raw_json_pydantic_tasks_and_usage(runtime):
    runtime.write("crew.py", STAND_INS + "\n\ndef kickoff(inputs):\n    return CrewOutput()\n")
    assert runtime.run().result == {
        "raw": "the final answer",
        "json_dict": {"answer": 42},
        "pydantic": {"answer": 42, "sources": ["a", "b"]},
        "tasks_output": [{"description": "research", "raw": "notes", "agent": "Researcher"},
                         {"description": "write", "raw": "report"}],
        "token_usage": {"total_tokens": 120, "prompt_tokens": 100, "completion_tokens": 20, "successful_requests": 2},
    }


def test_pydantic_model_and_dataclass(runtime):
    runtime.write("crew.py", STAND_INS + """

import dataclasses

@dataclasses.dataclass
class Finding:
    topic: str
    score: float
    tags: tuple
    extra: Model


def kickoff(inputs):
    return {"model": Model(title="t", score=0.5), "finding": Finding("bees", 0.9, ("a", "b"), Model(x=1))}
""")
    assert runtime.run().result == {
        "model": {"title": "t", "score": 0.5},
        "finding": {"topic": "bees", "score": 0.9, "tags": ["a", "b"], "extra": {"x": 1}},
    }


def test_values_json_cannot_hold_are_converted(runtime):
    runtime.write("crew.py", """
        import datetime
        import decimal
        import pathlib

        class Broken:
            def __str__(self):
                raise RuntimeError("no")

        class Opaque:
            def __str__(self):
                return "an opaque thing"

        def kickoff(inputs):
            loop = [1]
            loop.append(loop)
            return {
                "set": {3}, "tuple": (1, "a"), "frozenset": frozenset(["f"]),
                "when": datetime.datetime(2024, 1, 2, 3, 4, 5), "day": datetime.date(2024, 1, 2),
                "nan": float("nan"), "inf": float("inf"), "minus_inf": float("-inf"),
                "keys": {2: "int", None: "none", True: "bool", 1.5: "float", (1, 2): "tuple"},
                "bytes": b"ab", "path": pathlib.PurePosixPath("/app/x"), "decimal": decimal.Decimal("1.10"),
                "opaque": Opaque(), "broken": Broken(), "class": Opaque, "loop": loop,
            }
    """)
    assert runtime.run().result == {
        "set": [3], "tuple": [1, "a"], "frozenset": ["f"],
        "when": "2024-01-02T03:04:05", "day": "2024-01-02",
        "nan": "nan", "inf": "inf", "minus_inf": "-inf",
        "keys": {"2": "int", "null": "none", "true": "bool", "1.5": "float", "(1, 2)": "tuple"},
        "bytes": "b'ab'", "path": "/app/x", "decimal": "1.10",
        "opaque": "an opaque thing", "broken": "<Broken object that cannot be shown>",
        "class": "<class 'crew.Opaque'>", "loop": [1, "[1, [...]]"],
    }


def test_non_json_result_at_top_level_is_its_str(runtime):
    runtime.write("crew.py", "class Answer:\n    def __str__(self):\n        return 'forty-two'\n\n"
                             "def kickoff(inputs):\n    return Answer()\n")
    assert runtime.run().result == "forty-two"


def test_none_and_plain_values(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return inputs['value']\n")
    for value in (None, 0, -1.5, True, "text", [], {}):
        assert runtime.run(input={"value": value}).result == value


def test_very_deep_structures_are_bounded():
    deep = current = []
    for _ in range(5000):
        current.append([])
        current = current[0]
    converted = to_json(deep)
    json.dumps(converted)  # no recursion error, valid JSON
    depth, node = 0, converted
    while isinstance(node, list):
        node, depth = node[0], depth + 1
    assert depth == MAX_DEPTH and isinstance(node, str)


def test_shared_but_not_cyclic_values_are_converted_each_time():
    shared = {"a": 1}
    assert to_json([shared, shared, {"again": shared}]) == [{"a": 1}, {"a": 1}, {"again": {"a": 1}}]


def test_model_dump_that_fails_falls_back_to_str():
    class Legacy:
        def model_dump(self, **options):
            raise TypeError("pydantic v1 has no model_dump(mode=...)")

        def __str__(self):
            return "legacy model"

    assert to_json({"m": Legacy()}) == {"m": "legacy model"}
