"""End-to-end fixtures: one real server per session (see crewship_e2e.Server)."""
import shutil

import pytest

from crewship_e2e import Server, crew_copy


@pytest.fixture(scope="session")
def server():
    srv = Server().start()
    yield srv
    srv.stop()
    shutil.rmtree(srv.data, ignore_errors=True)


@pytest.fixture(scope="session")
def probe(server, tmp_path_factory):
    """The probe crew deployed once into project 'probe'."""
    folder = crew_copy("probe", tmp_path_factory.mktemp("probe"))
    dep = server.deploy("probe", folder)
    assert dep["status"] == "ready", server.json("GET", f"/v1/deployments/{dep['id']}/logs")
    return dep["id"]
