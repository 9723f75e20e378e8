#!/usr/bin/env python3
"""Reliability item 3, bad input: the HTTP API fuzzed from its own OpenAPI document, and a corpus of
malicious deployment uploads, against the real server.

    python3 reliability/bad_input.py [--quick] [--only fuzz|uploads]

(a) Fuzzing: schemathesis (bench/requirements.txt) reads `GET /openapi.json` of a server that has a
    deployed crew and a finished run, and runs every check it has (`--checks all`: no 5xx, status codes,
    content types, headers and bodies as documented, schema-violating requests rejected, schema-valid
    ones accepted, stateful checks through the links it infers) in all its phases (examples, coverage,
    fuzzing, stateful), bounded by examples per operation and a time budget. The few adjustments, each
    with its reason, are in reliability/schemathesis.toml. Recorded per check: test cases, failures
    (with examples), and the 5xx responses seen.
(b) Uploads: every bundle of tests/e2e/crewship_e2e.py's MALICIOUS_BUNDLES (path traversal, absolute
    paths, links out, hard links, devices, FIFOs, an archive bomb, too many entries, deep nesting, odd
    names, duplicates, corrupt gzip/tar) plus an over-the-limit upload and wrong content types, each
    posted to `POST /v1/projects/{name}/deployments`. Each must be refused with a 4xx problem+json naming
    the reason, in bounded time, and change nothing: no deployment, the project's current deployment
    unchanged, no file outside, the data dir no bigger, the server's memory bounded. A valid upload
    afterwards must still build.
Any 5xx, hang, accepted bad upload or fuzzing failure raises (after the figures are printed)."""
import argparse
import base64
import http.client
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bench"))
from common import Server, Target, crew_copy, write_result  # noqa: E402
from crewship_e2e import MALICIOUS_BUNDLES, file_entry, probe_entries, tar_gz_of, zeros_entry  # noqa: E402

TITLE = "Bad input: API fuzzing and malicious uploads"
# Fuzzing budget: examples per operation and phase, and the whole run's time budget (seconds).
FUZZ_EXAMPLES, FUZZ_SECONDS = 100, 600
QUICK_FUZZ_EXAMPLES, QUICK_FUZZ_SECONDS = 5, 70
FUZZ_PROJECT = "fuzz-hello"
UPLOAD_TIMEOUT_S = 120  # an upload answered later than this is a hang
MIB = 1024 * 1024
# Quick mode runs the same corpus against smaller limits (flags of the server) so that the over-the-limit
# bundles are small and quick to build; the full run uses the defaults of docs/api.md.
QUICK_LIMITS = {"--max-bundle-bytes": 4 * MIB, "--max-extracted-bytes": 64 * MIB}
DEFAULT_LIMITS = {"--max-bundle-bytes": 100 * MIB, "--max-extracted-bytes": 500 * MIB}
OUTSIDE_MARKERS = ("/etc/evil.py", "/tmp/crewship-evil.py", "/tmp/evil.py")
SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "st")
# What this suite found when it was written, all fixed with regression tests (OpenApiDocumentTest,
# MaliciousBundlesTest, RunsApiTest, AuthenticationTest, ThreadApiTest, tests/e2e/test_bad_input.py).
FOUND = [
    "server: an upload whose file names are not UTF-8 (PAX) was accepted and stored under mangled names; now 422",
    "server: an invalid `?after=` on a run's events was ignored when `Last-Event-ID` was sent; now 400",
    "server: key names and thread metadata values were limited in UTF-16 units, not the documented characters",
    "OpenAPI: deployment `config.llm_tokens`, usage `tokens`, the created key's `secret` and a busy thread's "
    "409 members (`thread_id`, `active_run_id`) were answered but not documented; artifact bytes were documented "
    "as application/octet-stream only",
    "OpenAPI: accepted input was described too loosely: exactly one of `deployment_id`/`project`, non-blank ids and "
    "key names, fork metadata, 64-bit `after` and `Last-Event-ID`, env values without NUL, `multitask_strategy` null, "
    "and the `metadata.<key>` thread filters (documented as a deepObject the server never read)",
]


# ---- (a) fuzzing ----
def fuzz(quick, workdir):
    tmp = tempfile.mkdtemp(prefix="cs-fuzz-", dir=workdir)
    os.chmod(tmp, 0o711)
    srv = Server().start()
    try:
        # Data for the operations that need an existing resource: a ready deployment, a finished run
        # with an artifact, a thread with a checkpoint (schemathesis finds their ids through the links).
        dep = srv.deploy(FUZZ_PROJECT, crew_copy("hello", pathlib.Path(tmp)))
        assert dep["status"] == "ready", dep
        finished = srv.run(dep["id"], {"topic": "fuzz"})
        assert finished["status"] == "succeeded", finished
        run_id = finished["id"]
        chat = srv.deploy("fuzz-chat", crew_copy("chat", pathlib.Path(tmp)))
        code, thread = srv.json("POST", "/v1/threads", {"deployment_id": chat["id"]})
        assert code == 201, thread
        code, run = srv.json("POST", f"/v1/threads/{thread['id']}/runs", {"input": {"message": "Research fuzzing"}})
        assert code == 202 and srv.wait_run(run["id"])["status"] == "succeeded"
        # The fixtures' ids are not pinned into the operations: schemathesis' stateful checks would then
        # read a pinned id as "the resource this scenario just created" and report its deletion elsewhere as a
        # missing resource. The stateful phase reaches them through the links instead.
        config = os.path.join(HERE, "schemathesis.toml")
        events = os.path.join(tmp, "schemathesis.ndjson")
        examples, seconds = (QUICK_FUZZ_EXAMPLES, QUICK_FUZZ_SECONDS) if quick else (FUZZ_EXAMPLES, FUZZ_SECONDS)
        cmd = [SCHEMATHESIS, "--config-file", config, "run", f"{srv.url}/openapi.json",
               "-H", f"Authorization: Bearer {srv.key}", "--checks", "all", "--max-examples", str(examples),
               "--max-time", str(seconds), "--workers", "1", "--request-timeout", "30", "--no-color",
               "--generation-database", "none", "--report", "ndjson", "--report-ndjson-path", events]
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 600, cwd=tmp,  # its .schemathesis cache
                              env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                                   "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", "")})
        elapsed = time.monotonic() - started
        summary = proc.stdout[proc.stdout.rfind("SUMMARY"):] if "SUMMARY" in proc.stdout else proc.stdout[-4000:]
        if not os.path.exists(events):
            raise RuntimeError(f"schemathesis wrote no report (exit {proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        result = tally_events(events)
        if result["failures_total"] or result["server_errors_5xx"] or result["errors"]:
            kept = os.path.join(tempfile.gettempdir(), f"crewship-schemathesis-{int(time.time())}.ndjson")
            shutil.copy(events, kept)
            result["events_kept"] = kept  # every request and answer, for `st replay`-like digging
        result.update({"tool": f"schemathesis {schemathesis_version()}", "max_examples": examples, "found_and_fixed": FOUND,
                       "time_budget_s": seconds, "seconds": round(elapsed, 1), "exit_code": proc.returncode,
                       "summary": summary.strip()[-3000:],
                       "adjustments": "reliability/schemathesis.toml: 413 counts as a rejection of schema-violating "
                                      "bodies; 422 is a valid answer to a schema-valid upload (the schema cannot "
                                      "describe a valid tar.gz); ensure_resource_availability off for rollback "
                                      "(its 404 is about the deployment in the body), which also keeps rollback out "
                                      "of the stateful phase (where that switch is not applied)"})
        if "server.log" in os.listdir(srv.data):
            result["server_log_errors"] = [line[:300] for line in srv.log_tail(200_000).splitlines()
                                           if " ERROR " in line or "Exception" in line][:10]
        return result
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def schemathesis_version():
    out = subprocess.run([SCHEMATHESIS, "--version"], capture_output=True, text=True)
    return out.stdout.strip().split()[-1] if out.returncode == 0 else "unknown"


def tally_events(path):
    """Per check: test cases it ran on, failures (a few examples); per phase: scenarios; and every 5xx."""
    checks = {}
    phases = Counter()
    operations = set()
    responses = Counter()
    server_errors = []
    errors = []
    with open(path) as f:
        for line in f:
            event = json.loads(line)
            if "ScenarioFinished" in event:
                scenario = event["ScenarioFinished"]
                phases[scenario["phase"]] += 1
                recorder = scenario.get("recorder") or {}
                label = recorder.get("label", "?")
                interactions = recorder.get("interactions") or {}
                for case_id, results in (recorder.get("checks") or {}).items():
                    for check in results:
                        entry = checks.setdefault(check["name"], {"cases": 0, "failures": 0, "examples": []})
                        entry["cases"] += 1
                        if check["status"] == "failure":
                            entry["failures"] += 1
                            if len(entry["examples"]) < 5:
                                info = check.get("failure_info") or {}
                                response = (interactions.get(case_id) or {}).get("response") or {}
                                entry["examples"].append(f"{info.get('failure', {}).get('operation') or label} → "
                                                         f"{response.get('status_code')} {body_text(response)[:160]}: "
                                                         f"{failure_text(info.get('failure', info))}"[:500])
                for case_id, interaction in interactions.items():
                    response = interaction.get("response") or {}
                    status = response.get("status_code")
                    if status is None:
                        continue
                    operations.add(label)
                    responses[f"{status // 100}xx"] += 1
                    if status >= 500 and len(server_errors) < 10:
                        req = interaction.get("request", {})
                        server_errors.append(f"{req.get('method')} {req.get('uri')} -> {status}")
            elif "NonFatalError" in event or "FatalError" in event:
                err = event.get("NonFatalError") or event.get("FatalError")
                if len(errors) < 10:
                    errors.append(json.dumps(err)[:400])
    return {"checks": dict(sorted(checks.items())), "scenarios_by_phase": dict(phases),
            "operations_tested": len(operations), "responses": dict(sorted(responses.items())),
            "server_errors_5xx": responses.get("5xx", 0), "server_error_examples": server_errors,
            "errors": errors, "failures_total": sum(c["failures"] for c in checks.values())}


def body_text(message):
    """The body of a recorded request or response (schemathesis stores it base64-encoded)."""
    content = message.get("content") or message.get("body") or {}
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode(errors="replace")
    return str(content.get("string", "")) if isinstance(content, dict) else str(content)


def failure_text(failure):
    if not isinstance(failure, dict):
        return str(failure)
    return " — ".join(str(failure[k]).replace("\n", " ") for k in ("title", "message") if failure.get(k))


# ---- (b) malicious uploads ----
def corpus(limits):
    """name -> (body builder, Content-Type). The shared corpus, with the sizes that matter scaled to the
    server's limits, plus an over-the-limit upload and wrong content types."""
    bundle, extracted = limits["--max-bundle-bytes"], limits["--max-extracted-bytes"]
    cases = {name: (build, "application/gzip") for name, build in MALICIOUS_BUNDLES.items()}
    cases["archive bomb"] = (lambda: tar_gz_of(probe_entries() + [zeros_entry("zeros.bin", extracted + extracted // 5)],
                                               compresslevel=1), "application/gzip")
    # Over the compressed limit: incompressible bytes (refused while streaming, before they are all read).
    # Over the compressed limit: a real tar.gz of incompressible bytes. With its length the server refuses it
    # before reading; sent chunked (no length), it stops it while streaming, once the limit is passed.
    noisy = lambda: tar_gz_of(probe_entries() + [file_entry("noise.bin", os.urandom(bundle + MIB))], compresslevel=1)  # noqa: E731
    cases["over the compressed limit"] = (noisy, "application/gzip")
    cases["over the compressed limit (chunked)"] = (noisy, "application/gzip")
    valid = lambda: tar_gz_of(probe_entries())  # noqa: E731
    cases["valid bundle as application/json"] = (valid, "application/json")
    cases["valid bundle as text/plain"] = (valid, "text/plain")
    cases["valid bundle as multipart/form-data"] = (valid, "multipart/form-data; boundary=x")
    cases["valid bundle without Content-Type"] = (valid, None)
    return cases


def uploads(quick, workdir):
    limits = QUICK_LIMITS if quick else DEFAULT_LIMITS
    flags = [str(x) for kv in limits.items() for x in kv]
    srv = Server(extra=flags).start()
    tmp = tempfile.mkdtemp(prefix="cs-uploads-", dir=workdir)
    os.chmod(tmp, 0o711)
    try:
        srv.create_project("target")
        jvm = srv.proc.pid  # bin/crewship execs java
        rss_before = rss_mb(jvm)
        cases = []
        for name, (build, content_type) in corpus(limits).items():
            cases.append(upload_case(srv, jvm, name, build(), content_type, chunked=name.endswith("(chunked)")))
        rss_after = rss_mb(jvm)
        # The server still works: a valid crew deploys and becomes current.
        dep = srv.deploy("target", crew_copy("hello", pathlib.Path(tmp)))
        still_deploys = dep["status"] == "ready"
        return {"limits": {k.lstrip("-"): v for k, v in limits.items()}, "cases": cases,
                "rss_mb": {"before": rss_before, "after": rss_after, "max": max([rss_before, rss_after] +
                                                                                [c["rss_mb_after"] for c in cases])},
                "valid_upload_afterwards": "ready" if still_deploys else dep["status"],
                "problems": [f"{c['case']}: {p}" for c in cases for p in c["problems"]]
                + ([] if still_deploys else [f"a valid upload afterwards ended {dep['status']}"])}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def post_bundle(srv, body, content_type, chunked):
    """POSTs a bundle the way a careful client does: the server may answer (413, say) and close before the
    body is all sent, so a failed send is followed by reading the answer. Chunked: without a length, so the
    server can only stop it while streaming."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=UPLOAD_TIMEOUT_S)
    try:
        conn.putrequest("POST", "/v1/projects/target/deployments", skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {srv.key}")
        if content_type:
            conn.putheader("Content-Type", content_type)
        conn.putheader("Transfer-Encoding" if chunked else "Content-Length", "chunked" if chunked else str(len(body)))
        conn.endheaders()
        try:
            for i in range(0, len(body), 64 * 1024):
                piece = body[i:i + 64 * 1024]
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early; the answer is read below
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def upload_case(srv, jvm, name, body, content_type, chunked=False):
    before = state(srv)
    size_before = dir_bytes(srv.data)
    started = time.monotonic()
    problems = []
    try:
        code, raw, resp_headers = post_bundle(srv, body, content_type, chunked)
    except (OSError, http.client.HTTPException) as e:  # a timeout, or a connection closed without an answer
        code, raw, resp_headers = None, repr(e).encode(), {}
        problems.append(f"no answer within {UPLOAD_TIMEOUT_S} s: {e!r}")
    seconds = time.monotonic() - started
    problem = {}
    if code is not None:
        if code >= 500:
            problems.append(f"server error {code}")
        elif code < 400:
            problems.append(f"accepted with {code}")
        if not (resp_headers.get("content-type") or "").startswith("application/problem+json"):
            problems.append(f"answered {resp_headers.get('content-type')}, not application/problem+json")
        try:
            problem = json.loads(raw)
        except ValueError:
            problems.append("the answer is not JSON")
        if problem and not (problem.get("status") == code and str(problem.get("type", "")).startswith("https://crewship.dev/problems/")
                            and problem.get("title") and problem.get("detail")):
            problems.append(f"not a complete problem: {raw[:200]!r}")
        if b"Exception" in raw or b"at dev.crewship" in raw:
            problems.append("the answer shows a Java exception")
    after = state(srv)
    if after != before:
        problems.append(f"something changed: {before} -> {after}")
    grown = dir_bytes(srv.data) - size_before
    if grown > MIB:  # the database may grow by a page or two; an extracted bundle left behind would not
        problems.append(f"the data dir grew by {grown} bytes")
    outside = [m for m in OUTSIDE_MARKERS if os.path.exists(m)]
    if outside:
        problems.append(f"files written outside: {outside}")
    return {"case": name, "bytes": len(body), "content_type": content_type, "status": code,
            "type": str(problem.get("type", "")).rsplit("/", 1)[-1], "title": problem.get("title"),
            "detail": (problem.get("detail") or "")[:200], "seconds": round(seconds, 2),
            "data_dir_growth_bytes": grown, "rss_mb_after": rss_mb(jvm), "problems": problems}


def state(srv):
    """What a rejected upload must not change: the project's deployments and its current one."""
    code, deps = srv.json("GET", "/v1/projects/target/deployments?limit=100")
    code2, project = srv.json("GET", "/v1/projects/target")
    return [d["id"] for d in deps["data"]], project["current_deployment_id"]


def dir_bytes(path):
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(folder, f)).st_size
            except OSError:
                pass
    return total


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def run(quick, only=None):
    workdir = tempfile.mkdtemp(prefix="cs-bad-input-")
    os.chmod(workdir, 0o711)
    try:
        result = {}
        if only in (None, "fuzz"):
            result["fuzz"] = fuzz(quick, workdir)
        if only in (None, "uploads"):
            result["uploads"] = uploads(quick, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    broken = []
    if "fuzz" in result:
        f = result["fuzz"]
        if f["server_errors_5xx"]:
            broken.append(f"fuzzing: {f['server_errors_5xx']} server errors: {f['server_error_examples'][:3]}")
        if f["failures_total"]:
            broken.append("fuzzing: " + "; ".join(f"{name}: {c['failures']} ({c['examples'][:2]})"
                                                 for name, c in f["checks"].items() if c["failures"]))
        if f["errors"]:
            broken.append(f"fuzzing errors: {f['errors'][:3]}")
    if "uploads" in result and result["uploads"]["problems"]:
        broken.append(f"uploads: {result['uploads']['problems']}")
    if broken:
        print(json.dumps(result, indent=2)[:20000], file=sys.stderr)
        raise AssertionError("bad input: " + " | ".join(broken))
    return result


def targets(result):
    rows = []
    if "fuzz" in result:
        f = result["fuzz"]
        cases = max((c["cases"] for c in f["checks"].values()), default=0)
        rows.append(Target("Reliability 3. Bad input", f"API fuzzing ({cases:,} test cases): 5xx / check failures",
                           f"{f['server_errors_5xx']} / {f['failures_total']}", "0 / 0",
                           f["server_errors_5xx"] == 0 and f["failures_total"] == 0))
    if "uploads" in result:
        u = result["uploads"]
        refused = sum(1 for c in u["cases"] if not c["problems"])
        rows.append(Target("Reliability 3. Bad input", "malicious uploads refused cleanly (4xx problem+json, nothing changed)",
                           f"{refused} of {len(u['cases'])}", "all", refused == len(u["cases"])))
    return rows


def section(result, charts):
    parts = []
    if "fuzz" in result:
        f = result["fuzz"]
        rows = ["| check | test cases | failures | examples |", "| --- | --- | --- | --- |"]
        for name, c in f["checks"].items():
            rows.append(f"| `{name}` | {c['cases']:,} | {c['failures']} | "
                        f"{'; '.join(e.replace('|', '/') for e in c['examples'][:2]) or '—'} |")
        phases = ", ".join(f"{k} {v}" for k, v in f["scenarios_by_phase"].items())
        parts.append(f"""**(a) Fuzzing the API from its OpenAPI document.** {f['tool']} against `GET /openapi.json` of a
server with a deployed crew, a finished run and a thread: every check (`--checks all`), every phase
(scenarios: {phases}), at most {f['max_examples']} examples per operation and phase, {f['time_budget_s']} s budget
(took {f['seconds']} s), one worker. {f['operations_tested']} operations answered; responses
{', '.join(f'{k} {v:,}' for k, v in f['responses'].items())}: **{f['server_errors_5xx']} server errors (5xx)**,
**{f['failures_total']} check failures**. Adjustments ({f['adjustments']}).

{chr(10).join(rows)}

What it found when it was written, all fixed with regression tests: {"; ".join(f.get("found_and_fixed", []))}.""")
    if "uploads" in result:
        u = result["uploads"]
        rows = ["| upload | bytes | status | problem type | detail | seconds | ok |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for c in u["cases"]:
            detail = (c["detail"] or "").replace("|", "/").replace("\n", " ")[:110]
            rows.append(f"| {c['case']} | {c['bytes']:,} | {c['status']} | `{c['type']}` | {detail} | {c['seconds']} | "
                        f"{'yes' if not c['problems'] else '**no**: ' + '; '.join(c['problems'])} |")
        lim = u["limits"]
        parts.append(f"""**(b) Malicious uploads** to `POST /v1/projects/{{name}}/deployments` with limits of
{lim['max-bundle-bytes'] / MIB:.0f} MiB compressed and {lim['max-extracted-bytes'] / MIB:.0f} MiB extracted
(20,000 entries). "ok" means: a 4xx `application/problem+json` with type, title, status and detail and no
stack trace, within {UPLOAD_TIMEOUT_S} s; the project's deployments and current deployment unchanged; the
data dir not grown by more than 1 MiB; no file written outside. Server RSS {u['rss_mb']['before']} MB
before, {u['rss_mb']['max']} MB at most. A valid upload afterwards: {u['valid_upload_afterwards']}.

{chr(10).join(rows)}""")
    return "\n\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    ap.add_argument("--only", choices=("fuzz", "uploads"), help="run one half (the result then has only it)")
    args = ap.parse_args()
    write_result("reliability_bad_input", run(args.quick, args.only), args.quick)


if __name__ == "__main__":
    main()
