"""Several fetch processes sharing a run's hosts (crawler.fetchers): every page once, each host in one
process, stop signals passed on, a crashed fetch process failing the run, nothing stored lost."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Route, Site
from sqlalchemy import func, select

from crawler.config import Settings
from crawler.fetchers import Claims, host_groups, fetcher_count
from crawler.runs import Page, Plan
from snapshots.models import Fetch, Run

PAGE = "<html><body><main><h1>Terms {n}</h1><p>We keep the records of customer {n} in Ireland.</p></main></body></html>"
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")


@pytest.fixture
def sites():
    servers = [Site(address) for address in HOSTS]
    yield servers
    for server in servers:
        server.close()


def plan_of(urls: list[str], render: set[str] = frozenset()) -> Plan:
    return Plan("run", {u: [u] for u in urls}, [Page(u, render=u in render) for u in urls])


def test_pages_are_grouped_by_host_in_the_order_hosts_first_appear():
    urls = ["http://b.example/1", "http://A.example/1", "http://b.example/2", "http://a.example:8080/2"]
    groups = host_groups(plan_of(urls).pages)
    assert [[p.url for p in g] for g in groups] == [["http://b.example/1", "http://b.example/2"],
                                                    ["http://A.example/1", "http://a.example:8080/2"]]


def test_one_process_unless_the_run_is_big_or_the_setting_asks_and_never_more_than_the_hosts():
    small = plan_of([f"http://h{n % 10}.example/{n}" for n in range(150)])
    big = plan_of([f"http://h{n % 10}.example/{n}" for n in range(1000)])
    one_host = plan_of([f"http://h.example/{n}" for n in range(1000)])
    assert fetcher_count(Settings(), small.pages, cores=8) == 1  # starting a process costs more than it saves
    assert fetcher_count(Settings(), big.pages, cores=2) == 2  # one per core
    assert fetcher_count(Settings(), big.pages, cores=16) == 4  # at most MAX_AUTO_FETCHERS by default
    assert fetcher_count(Settings(), one_host.pages, cores=8) == 1  # a host is fetched by one process only
    assert fetcher_count(Settings(fetchers=3), small.pages, cores=1) == 3  # asked for: no size threshold
    assert fetcher_count(Settings(fetchers=3, concurrency=2), small.pages) == 2  # each process has a request in flight
    rendered = plan_of(["http://a.example/1", "http://b.example/1"], render={"http://b.example/1"})
    assert fetcher_count(Settings(fetchers=8), rendered.pages) == 2  # the rendering host stays with the run's process


def _claim_all(claims: Claims, groups, out) -> None:
    claims.groups = groups  # as fetcher_main does with what Fetchers.share sends
    mine = []
    while (group := claims.claim()) is not None:
        mine.append(group[0].url)
        time.sleep(0.001)
    out.put(mine)


def test_processes_claim_every_host_exactly_once_through_the_shared_cursor():
    context = multiprocessing.get_context("spawn")
    groups = host_groups(plan_of([f"http://h{n}.example/{p}" for n in range(60) for p in range(3)]).pages)
    claims = Claims(context, groups, [], 2)
    out = context.Queue()
    workers = [context.Process(target=_claim_all, args=(claims, groups, out)) for _ in range(3)]
    for w in workers:
        w.start()
    claimed = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(30)
    every = [url for mine in claimed for url in mine]
    assert sorted(every) == sorted(g[0].url for g in groups)  # all of them, none twice
    assert claims.claim() is None


def _profile(home, sites, per_host: int, slow: float = 0.0, delay: float = 0.0) -> dict[str, str]:
    """`per_host` pages on every site, each answered after `delay` s, plus one answered after `slow` s."""
    urls = {}
    for h, site in enumerate(sites):
        for n in range(per_host):
            urls[f"h{h}p{n}"] = site.serve(f"/p{n}", PAGE.format(n=f"{h}-{n}"), ETag=f'"{h}-{n}"')
            site.routes[f"/p{n}"].delay = delay
        if slow:
            site.routes["/slow"] = Route(PAGE.format(n="slow"), delay=slow)
            urls[f"h{h}slow"] = site.url("/slow")
    home.simple_profile("acme", urls)
    # two processes with 4 requests in flight each, 2 per host: each keeps 3 hosts busy at most, so
    # the run's process cannot take all four hosts before the other one starts
    home.env.update({"CLAUSEWATCH_FETCHERS": "2", "CLAUSEWATCH_CONCURRENCY": "8", "CLAUSEWATCH_AUTOTHROTTLE": "0"})
    return urls


def test_two_fetch_processes_fetch_every_page_once_and_record_the_run_as_one(home, sites):
    urls = _profile(home, sites, per_host=6, delay=0.2)
    first = home.json("check")
    assert (first["new"], first["failed"], first["documents"]) == (len(urls), 0, len(urls))
    for site in sites:  # each page asked for once (robots.txt is asked per host and process at most)
        pages = [path for path, _ in site.hits if path != "/robots.txt"]
        assert sorted(pages) == sorted(f"/p{n}" for n in range(6))
    with home.database().session() as s:
        assert s.scalar(select(func.count()).select_from(Fetch)) == len(urls)
        assert [r.status for r in s.scalars(select(Run))] == ["completed"]
    again = home.json("check")  # conditional requests from what both processes stored
    assert (again["unchanged"], again["new"], again["changed"]) == (len(urls), 0, 0)
    sites[2].serve("/p3", PAGE.format(n="2-3").replace("Ireland", "the United States"), ETag='"changed"')
    changed = home.json("check")
    assert (changed["changed"], changed["unchanged"]) == (1, len(urls) - 1)


def _fetch_processes(run_pid: int) -> list[int]:
    """The spawned fetch processes of run `run_pid` (not its resource tracker or pool)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[-1].split()
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if proc.name.isdigit() and int(stat[1]) == run_pid and b"spawn_main" in cmdline:
            found.append(int(proc.name))
    return found


def _start_check(home, sites) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "check"], env=home.env, cwd=home.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while sum(path != "/robots.txt" for site in sites for path, _ in site.hits) < 3 * len(sites):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # the fast pages' answers reach the pipelines
    return proc


def test_sigterm_stops_every_fetch_process_and_the_next_run_completes_the_work(home, sites):
    _profile(home, sites, per_host=2, slow=60)
    proc = _start_check(home, sites)  # every host's slow page is in flight, in both processes
    children = _fetch_processes(proc.pid)
    assert len(children) == 1
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not any(_alive(pid) for pid in children)
    with home.database().session() as s:
        assert [r.status for r in s.scalars(select(Run))] == ["interrupted"]
    for site in sites:
        site.routes["/slow"].delay = 0
    final = home.json("check")
    assert final["failed"] == 0 and final["documents"] == 3 * len(sites)


def test_a_fetch_process_that_dies_fails_the_run_with_its_reason_and_keeps_what_was_stored(home, sites):
    _profile(home, sites, per_host=2, slow=8)  # answered long after the fetch process has started and claimed a host
    proc = _start_check(home, sites)
    [child] = _fetch_processes(proc.pid)
    os.kill(child, signal.SIGKILL)  # the run's own process finishes its hosts when their slow pages answer
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "a fetch process" in err and "exit code -9" in err and "fetched by the next run" in err
    with home.database().session() as s:
        assert [r.status for r in s.scalars(select(Run))] == ["failed"]
        stored = s.scalar(select(func.count()).select_from(Fetch))
    assert 3 * 2 <= stored < 3 * len(sites)  # the run's process stored its hosts (2 or 3 of them), not the rest
    final = home.json("check")
    assert final["failed"] == 0 and final["documents"] == 3 * len(sites)


def test_fetch_processes_exit_when_the_run_is_killed(home, sites):
    _profile(home, sites, per_host=2, slow=60)
    proc = _start_check(home, sites)
    [child] = _fetch_processes(proc.pid)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the fetch process outlived the run"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_a_check_refused_the_lease_stops_its_fetch_processes_before_they_fetch_anything(home, sites):
    # the fetch processes start before the lease is taken (they import Scrapy meanwhile): a refused
    # run stops them, and they never fetched (a run waiting on them would never exit)
    from scheduler.lease import acquire, current, release

    _profile(home, sites, per_host=2)
    db = home.database()
    acquire(db, "run", "elsewhere:1 run R0", ttl=600)
    try:
        started = time.monotonic()
        refused = subprocess.run([sys.executable, "-m", "crawler", "check"], env=home.env, cwd=home.root,
                                 capture_output=True, text=True, timeout=60)
    finally:
        release(db, "run", "elsewhere:1 run R0")
    assert refused.returncode == 4, refused.stderr
    assert "not starting check" in refused.stderr
    assert time.monotonic() - started < 30
    assert not any(site.hits for site in sites)
    assert current(db) is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Run)) == 0
    done = home.json("check")  # the next run does the work
    assert done["failed"] == 0 and done["documents"] == 2 * len(sites)


LONG_PAGE = ("<html><body><nav><a href='/home?session={token}'>Home</a></nav><main><h1>Terms {n}</h1>"
             + "<p>We keep the records of every customer in Ireland and delete them thirty days after the end of "
               "the contract, unless the law obliges us to keep them for longer.</p>" * 12
             + "</main></body></html>")


def test_every_fetch_process_tells_markup_churn_from_a_change_and_stores_it_as_processed(home, sites):
    from snapshots.models import Snapshot
    from snapshots.store import SAME_TEXT_REASON

    urls = _profile(home, sites, per_host=3)

    def serve(token: str, edited: str | None = None) -> None:
        for h, site in enumerate(sites):
            for n in range(3):
                body = LONG_PAGE.format(token=token, n=f"{h}-{n}")
                site.serve(f"/p{n}", body.replace("Ireland", "the United States") if f"/p{n}" == edited and h == 1
                           else body, ETag=f'"{token}-{h}-{n}"')

    serve("t1")
    assert home.json("check")["new"] == len(urls)
    serve("t2", edited="/p2")  # every page's bytes changed; one page's text too
    again = home.json("check")
    assert (again["unchanged"], again["changed"], again["failed"]) == (len(urls) - 1, 1, 0)
    with home.database().session() as s:
        run = s.scalars(select(Run).order_by(Run.started_at.desc())).first()
        fetches = {f.url: f for f in s.scalars(select(Fetch).where(Fetch.run_id == run.id))}
        snapshots = {snap.id: snap for snap in s.scalars(select(Snapshot))}
    assert len(snapshots) == 2 * len(urls) and all(snap.processed for snap in snapshots.values())
    churned = [f for url, f in fetches.items() if f.reason == SAME_TEXT_REASON]
    assert len(churned) == len(urls) - 1 and all(f.outcome == "unchanged" for f in churned)
    assert {urlsplit(f.url).hostname for f in churned} == set(HOSTS)  # on every host, whichever process claimed it
    assert fetches[sites[1].url("/p2")].outcome == "changed"
