"""A warm parent's prebuilt crew (loader.prebuild): used by the first run of each forked process only,
and kept only when building it opened no file and started no thread."""
import sys
import textwrap

import pytest

from crewship_runtime import loader


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "writable").mkdir()
    loader._prebuilt.clear()
    yield tmp_path
    loader._prebuilt.clear()
    loader._prebuilt_files = None
    for name in ("prebuilt_crew", "leaky_crew", "writing_crew"):
        sys.modules.pop(name, None)


def write(app, name, body):
    (app / f"{name}.py").write_text(textwrap.dedent(body))


CREW = """
    BUILT = []

    class Crew:
        def __init__(self, number):
            self.number = number

        def kickoff(self, inputs):
            return {"crew": self.number, "inputs": inputs}

    class ResearchCrew:
        is_crew_class = True

        def crew(self):
            BUILT.append(1)
            return Crew(len(BUILT))
"""


def test_the_first_run_takes_the_prebuilt_crew_and_later_runs_build_their_own(app):
    write(app, "prebuilt_crew", CREW)
    run = loader.load("prebuilt_crew:ResearchCrew", str(app))

    assert loader.prebuild("prebuilt_crew:ResearchCrew", str(app), writable=(str(app / "writable"),)) == "crew prebuilt"

    assert run({"topic": "a"}) == {"crew": 1, "inputs": {"topic": "a"}}
    assert run({"topic": "b"}) == {"crew": 2, "inputs": {"topic": "b"}}
    assert sys.modules["prebuilt_crew"].BUILT == [1, 1]


def test_a_crew_whose_building_opens_a_file_is_not_prebuilt(app):
    write(app, "leaky_crew", CREW.replace("            BUILT.append(1)", "            BUILT.append(open(__file__))"))

    assert loader.prebuild("leaky_crew:ResearchCrew", str(app), writable=(str(app / "writable"),)).startswith("crew not prebuilt")

    assert loader._prebuilt == {}


def test_only_crewbase_classes_are_prebuilt(app):
    write(app, "prebuilt_crew", CREW + "\n    def kickoff(inputs):\n        return inputs\n")

    assert loader.prebuild("prebuilt_crew:kickoff", str(app), writable=(str(app / "writable"),)).startswith("nothing to prebuild")
    assert loader._prebuilt == {}


def test_files_building_wrote_are_restored_into_each_runs_fresh_folders(app):
    writable = app / "writable"
    write(app, "writing_crew", CREW.replace("            BUILT.append(1)",
                                            f"            BUILT.append(1)\n            open({str(writable / 'db.sqlite')!r}, 'w').write('tables')"))

    assert loader.prebuild("writing_crew:ResearchCrew", str(app), writable=(str(writable),)).startswith("crew prebuilt (with ")
    (writable / "db.sqlite").unlink()  # a run's folders start empty

    loader.restore_prebuilt_files()

    assert (writable / "db.sqlite").read_text() == "tables"


def test_the_crewai_preload_does_nothing_for_a_crew_without_crewai():
    from crewship_runtime import crewai_preload

    assert "crewai" not in sys.modules
    assert crewai_preload.preload() is None
