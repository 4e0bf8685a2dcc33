"""What the investigator's phone pages cost: bytes of a first and of a later opening, and the
time until they can be used on a slow 3G phone: cold, warm and offline.

Run: .venv/bin/python benchmarks/phone.py [--runs N] [--resources]
Builds the demo into a throwaway SQLite database and serves it on 127.0.0.1 (the code the
screenshots use, ``scripts/phone_site.py``), gzipped as a production proxy would (the
development server never compresses; every response is gzipped at level 6 when it is text,
never PNG or JPEG). Signs in once as the demo's investigator, then for each page (the agenda
``/missions``, and the report form of a visit not started yet) opens it on a new phone in
Debian's Chromium (390 × 844, empty cache, no service worker yet):

- **cold**: the first opening; **warm**: opening it again once the service worker holds the
  app shell; **offline**: reloading it with the network cut (``context.set_offline``);
  **after agenda** (the report only): opened on a new phone as soon as its agenda is usable,
  as an investigator taps their first mission, while the agenda's background fetches run.
  When the worker's network-first answer gives up (6 s) on a page it has not kept yet, the
  phone shows its "Hors connexion" page: the note column says so, and the time is its load.
- Throttled as Chrome DevTools' "Slow 3G" (the values Puppeteer's
  ``PredefinedNetworkConditions`` copies from DevTools' ``NetworkManager.ts``: latency
  400 ms × 5 = 2,000 ms added to each request, download and upload 500 kbit/s × 0.8 =
  50,000 bytes/s) through CDP ``Network.emulateNetworkConditions``, on the page *and* on its
  service worker (attached through the page's CDP session; Chrome throttles each target on
  its own, so throttling the page alone would let the worker's fetches run at full speed),
  with ``Emulation.setCPUThrottlingRate`` 4 (a mid-range phone) on the page.
- **Usable** (the time column) counts from navigation start (``performance.now()``): for the
  report form, ``window.BarometreReport.ready`` resolved (the local copy and the server's
  merged, the first sync done); for the agenda, the ``load`` event and
  ``navigator.serviceWorker.ready``, whichever comes last.
- **Bytes**: the sum of CDP ``Network.loadingFinished`` ``encodedDataLength`` (bytes on the
  wire, gzipped, headers included) of the page's requests that left the browser and of its
  service worker's, from navigation to usable (the worker's own script, ~2 KB, is fetched
  by the browser itself, so it is in neither; it is in the per-resource list). What still
  runs once the page is usable (the agenda asks the worker to fetch every mission's page
  for offline use) is **after**, still throttled, until the network is idle: its bytes, its
  requests, those that failed (the worker aborts a page it has not had within 6 s), and
  **kept**: the pages in the worker's page cache by then (the agenda's links in brackets).
- **Baseline**, measured in the same run on the same server and throttling: the same page's
  HTML, byte for byte, without its stylesheet, scripts, manifest and icons, opened on a new
  phone (three times a run: the median); usable at its ``load`` event. ``ratio`` is ours /
  baseline.

``--resources`` prints every response of each cold opening (path, who asked for it, bytes
as the server made them and gzipped). Timings, bytes and ratios only: nothing is asserted;
the goal for a first opening is under 200 KB compressed, photos aside. Takes about two
minutes, most of it the demo, the agenda's background fetches and the tap's 6 s wait. Not
part of ``scripts/test``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# Standalone run: make the repository importable (ruff allows imports after sys.path edits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.phone_site import PhoneSite, Served, demo_site, launch, phone_context, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: DevTools' "Slow 3G" (see the module docstring).
SLOW_3G = {
    "offline": False,
    "latency": 400 * 5,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
FULL_SPEED = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
CPU_SLOWDOWN = 4
TARGET_BYTES = 200 * 1000
#: The network counts as idle after this long without a request running or a response sent.
IDLE_SECONDS = 1.5
TIMEOUT_MS = 120_000
#: Baseline openings per run (they take seconds; their median steadies the ratios).
BASELINE_OPENINGS = 3
#: The title of the page the service worker answers with when the network fails it.
FALLBACK_TITLE = "Hors connexion"

#: Marks taken in the page itself (ms since navigation start); installed before any script.
MARKS = """
(() => {
  const marks = (window.__bench = {});
  addEventListener("DOMContentLoaded", () => { marks.dcl = performance.now(); });
  addEventListener("load", () => { marks.load = performance.now(); });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.ready.then(() => { marks.worker = performance.now(); });
  }
  let report;
  Object.defineProperty(window, "BarometreReport", {
    configurable: true,
    get() { return report; },
    set(value) {
      report = value;
      Promise.resolve(value && value.ready).then(
        () => { marks.ready = performance.now(); marks.record = Boolean(value.current()); },
        (error) => { marks.failed = String(error); },
      );
    },
  });
})();
"""
#: Pages the service worker keeps for offline use: its caches other than the app shell's.
KEPT = """
caches.keys().then((names) => Promise.all(
  names.filter((name) => !name.startsWith("barometre-shell-"))
    .map((name) => caches.open(name).then((cache) => cache.keys()))
)).then((lists) => lists.reduce((sum, keys) => sum + keys.length, 0))
"""
#: When each kind of page is usable: its marks are all there.
USABLE = {
    "report": ("ready",),
    "agenda": ("load", "worker"),
    "baseline": ("load",),
}


@dataclass
class Request:
    source: str  # "page" or "worker"
    url: str
    done: bool = False
    failed: bool = False
    encoded: int = 0
    #: answered by the service worker (the page's side of it; the worker's own fetch, if
    #: any, is a request of its own) or by the HTTP cache: nothing on the wire
    local: bool = False


@dataclass
class Opening:
    first: int  # index of its first request in Phone.order
    #: the service worker's "Hors connexion" page came instead (``usable`` is its load)
    fallback: bool
    usable: float  # seconds
    dcl: float
    load: float
    wire: int  # bytes on the wire until usable
    requests: int
    after: int = 0  # bytes on the wire after usable, until idle
    after_requests: int = 0
    failed: int = 0  # requests that failed (aborted), until idle
    kept: int | None = None  # pages in the service worker's page cache, once idle
    links: int | None = None  # mission links on the page (the agenda's)
    served: list[Served] = field(default_factory=list)
    sources: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: the requests in ``wire`` (their ``id()``)
    counted: set[int] = field(default_factory=set)


class Phone:
    """A new phone signed in, its page and service worker watched and throttled over CDP."""

    def __init__(self, browser: Browser, site: PhoneSite, state: Any) -> None:
        self.site = site
        self.context = phone_context(browser, site, storage_state=state)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(MARKS)
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.requests: dict[tuple[str, str], Request] = {}
        self.order: list[Request] = []
        self.workers: set[str] = set()
        self.conditions: dict[str, Any] = FULL_SPEED
        self.errors: list[str] = []
        self._message = 0
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        for event in ("requestWillBeSent", "responseReceived", "loadingFinished", "loadingFailed"):
            self.cdp.on(
                f"Network.{event}", lambda params, e=event: self._network("page", e, params)
            )
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.detachedFromTarget", lambda p: self.workers.discard(p["sessionId"]))
        self.cdp.on("Target.receivedMessageFromTarget", self._from_worker)
        self.cdp.send("Network.enable")
        # The page's own auto-attach reaches its service worker, paused until we let it run:
        # its fetches are throttled from its first one. (Chrome allows only flat sessions at
        # the browser level, which Playwright's CDPSession cannot address.)
        self.cdp.send(
            "Target.setAutoAttach",
            {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False},
        )

    # --- CDP plumbing ----------------------------------------------------------------------

    def _to_worker(self, session: str, method: str, params: dict[str, Any] | None = None) -> None:
        self._message += 1
        message = {"id": self._message, "method": method, "params": params or {}}
        self.cdp.send(
            "Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(message)}
        )

    def _attached(self, params: dict[str, Any]) -> None:
        session = params["sessionId"]
        if params["targetInfo"]["type"] == "service_worker":
            self.workers.add(session)
            self._to_worker(session, "Network.enable")
            self._to_worker(session, "Network.emulateNetworkConditions", self.conditions)
        if params.get("waitingForDebugger"):
            self._to_worker(session, "Runtime.runIfWaitingForDebugger")

    def _from_worker(self, params: dict[str, Any]) -> None:
        message = json.loads(params["message"])
        if "error" in message:
            self.errors.append(f"CDP (service worker) : {message['error']}")
        method = message.get("method", "")
        if method.startswith("Network."):
            self._network(f"worker:{params['sessionId']}", method[8:], message["params"])

    def _network(self, source: str, event: str, params: dict[str, Any]) -> None:
        key = (source, params["requestId"])
        if event == "requestWillBeSent":
            if key in self.requests and not self.requests[key].done:
                return  # a redirect: the same request goes on
            if not params["request"]["url"].startswith("http"):
                return  # data: URLs (the date and time fields' icons)
            request = Request(source.split(":")[0], params["request"]["url"])
            self.requests[key] = request
            self.order.append(request)
            return
        request = self.requests.get(key)
        if request is None:
            return
        if event == "responseReceived":
            response = params["response"]
            request.local = bool(
                response.get("fromServiceWorker")
                or response.get("fromDiskCache")
                or response.get("fromPrefetchCache")
            )
        elif event == "loadingFinished":
            request.done, request.encoded = True, int(params["encodedDataLength"])
        elif event == "loadingFailed":
            request.done = request.failed = True

    def throttle(self, conditions: dict[str, Any], cpu: int) -> None:
        self.conditions = conditions
        self.cdp.send("Network.emulateNetworkConditions", conditions)
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
        for session in self.workers:
            self._to_worker(session, "Network.emulateNetworkConditions", conditions)

    # --- measuring -------------------------------------------------------------------------

    def open(self, path: str, kind: str, *, reload: bool = False) -> Opening:
        first, mark = len(self.order), self.site.mark()
        if reload:
            self.page.reload(wait_until="commit")
        else:
            self.page.goto(path, wait_until="commit")
        needed = " && ".join(f"m.{name} !== undefined" for name in USABLE[kind])
        # the service worker's "Hors connexion" page (no network answer within its 6 s) ends
        # the wait too, at its load event
        self.page.wait_for_function(
            f"(m => m && (m.failed !== undefined || ({needed}) || (m.load !== undefined"
            f" && document.title.startsWith({FALLBACK_TITLE!r}))))(window.__bench)",
            polling=50,
        )
        marks = self.page.evaluate("window.__bench")
        fallback = self.page.title().startswith(FALLBACK_TITLE)
        if "failed" in marks:
            raise RuntimeError(f"{path} : BarometreReport.ready a échoué : {marks['failed']}")
        if kind == "report" and not fallback and not marks.get("record"):
            raise RuntimeError(f"{path} : pas de rapport ouvert (BarometreReport.current())")
        # what reached the phone by then; what still runs is counted by settle()
        on_wire = [r for r in self.order[first:] if r.done and not (r.local or r.failed)]
        return Opening(
            first=first,
            fallback=fallback,
            usable=(marks["load"] if fallback else max(marks[n] for n in USABLE[kind])) / 1000,
            dcl=marks.get("dcl", 0) / 1000,
            load=marks.get("load", 0) / 1000,
            wire=sum(r.encoded for r in on_wire),
            requests=len(on_wire),
            served=self.site.since(mark),
            sources=Counter((r.source, urlsplit(r.url).path) for r in on_wire),
            counted={id(r) for r in on_wire},
        )

    def settle(self, opening: Opening) -> None:
        """Let what the page started run to its end, still throttled; count it as ``after``."""
        mark = self.site.mark()
        quiet_since, seen = time.monotonic(), -1
        while True:
            self.page.wait_for_timeout(250)
            running = any(not r.done for r in self.order[opening.first :])
            count = self.site.mark() + len(self.order)
            if running or count != seen:
                quiet_since, seen = time.monotonic(), count
            elif time.monotonic() - quiet_since >= IDLE_SECONDS:
                break
        # what still ran when the page became usable is "after" too
        later = [
            r
            for r in self.order[opening.first :]
            if not (r.local or r.failed or id(r) in opening.counted)
        ]
        failed = [r for r in self.order[opening.first :] if r.failed]
        opening.after = sum(r.encoded for r in later)
        opening.after_requests = len(later)
        opening.failed = len(failed)
        opening.served.extend(self.site.since(mark))
        opening.sources.update((r.source, urlsplit(r.url).path) for r in later)
        opening.sources.update((r.source + " ✗", urlsplit(r.url).path) for r in failed)
        opening.kept = self.page.evaluate(KEPT)
        opening.links = self.page.locator("[data-mission-link]").count()

    def close(self) -> None:
        self.context.close()


# --- the baseline ------------------------------------------------------------------------

_SUBRESOURCES = re.compile(
    r"<script\b[^>]*\bsrc=[^>]*>\s*</script>\s*|<link\b[^>]*>\s*", re.IGNORECASE
)


def bare(html: bytes) -> bytes:
    """The page's HTML without what it loads: no stylesheet, script file, manifest or icon."""
    return _SUBRESOURCES.sub("", html.decode("utf-8")).encode("utf-8")


# --- the run -----------------------------------------------------------------------------


@dataclass
class PageRun:
    name: str
    path: str
    kind: str
    #: by label: "cold", "warm", "offline", "baseline"; "after agenda" for the report
    openings: dict[str, list[Opening]] = field(default_factory=dict)

    def add(self, label: str, opening: Opening) -> None:
        self.openings.setdefault(label, []).append(opening)


def measure(browser: Browser, site: PhoneSite, state: Any, run: PageRun) -> list[str]:
    """One cold, warm and offline opening of ``run``'s page, and its baseline."""
    phone = Phone(browser, site, state)
    phone.throttle(SLOW_3G, CPU_SLOWDOWN)
    cold = phone.open(run.path, run.kind)
    phone.settle(cold)
    run.add("cold", cold)
    phone.throttle(SLOW_3G, CPU_SLOWDOWN)
    warm = phone.open(run.path, run.kind)
    phone.settle(warm)
    run.add("warm", warm)
    phone.context.set_offline(True)
    phone.throttle(OFFLINE, CPU_SLOWDOWN)
    run.add("offline", phone.open(run.path, run.kind, reload=True))
    errors = phone.errors
    phone.close()

    for _ in range(BASELINE_OPENINGS):
        phone = Phone(browser, site, state)
        phone.throttle(SLOW_3G, CPU_SLOWDOWN)
        run.add("baseline", phone.open(f"/_bench/{run.name}.html", "baseline"))
        phone.close()
    return errors


def measure_tap(browser: Browser, site: PhoneSite, state: Any, run: PageRun) -> list[str]:
    """The report opened as soon as a new phone's agenda is usable: the agenda's fetches of
    every mission page are still running (the worker gives up on the network after 6 s)."""
    phone = Phone(browser, site, state)
    phone.throttle(SLOW_3G, CPU_SLOWDOWN)
    phone.open("/missions", "agenda")
    run.add("after agenda", phone.open(run.path, run.kind))
    errors = phone.errors
    phone.close()
    return errors


def median(openings: list[Opening], attribute: str) -> float:
    return statistics.median(getattr(o, attribute) for o in openings)


def kb(size: float) -> str:
    return f"{size / 1000:.1f}"


def print_table(runs: list[PageRun]) -> None:
    print(
        f"\n{'page':<7} {'opening':<12} {'usable s':>8} {'DCL s':>6} {'load s':>6} "
        f"{'KB wire':>8} {'reqs':>5} {'after KB':>9} {'reqs':>5} {'failed':>6} "
        f"{'kept':>10} {'base s':>6} {'ratio':>6}  note"
    )
    for run in runs:
        base = median(run.openings["baseline"], "usable")
        for label in ("cold", "warm", "offline", "after agenda", "baseline"):
            openings = run.openings.get(label)
            if not openings:
                continue
            usable = median(openings, "usable")
            after = median(openings, "after")
            fallbacks = sum(o.fallback for o in openings)
            note = f"« {FALLBACK_TITLE} » page {fallbacks}/{len(openings)}" if fallbacks else ""
            last = openings[-1]
            kept = "" if last.kept is None else f"{last.kept}"
            if last.kept is not None and last.links:
                kept += f" [{last.links}]"
            print(
                f"{run.name:<7} {label:<12} {usable:>8.2f} {median(openings, 'dcl'):>6.2f} "
                f"{median(openings, 'load'):>6.2f} {kb(median(openings, 'wire')):>8} "
                f"{median(openings, 'requests'):>5.0f} {kb(after):>9} "
                f"{median(openings, 'after_requests'):>5.0f} "
                f"{median(openings, 'failed'):>6.0f} {kept:>10} {base:>6.2f} "
                f"{usable / base:>6.2f}  {note}"
            )


def print_bytes(runs: list[PageRun], *, every: bool) -> None:
    """Bytes of each cold opening as the server made them (raw) and gzipped, by resource."""
    print(
        "\nFirst opening, by resource (bytes of the body: raw as the server makes it, gzip as "
        "a phone gets it; 'who' asked for it, ✗ when it gave up before the end)"
    )
    for run in runs:
        opening = run.openings["cold"][0]
        rows = _resource_rows(opening)
        page_raw = sum(r[2] for r in rows if r[1] == "page")
        page_gzip = sum(r[3] for r in rows if r[1] == "page")
        all_raw = sum(r[2] for r in rows)
        all_gzip = sum(r[3] for r in rows)
        verdict = "under" if opening.wire < TARGET_BYTES else "OVER"
        print(
            f"\n{run.name} ({run.path}) : page {kb(page_raw)} KB raw, {kb(page_gzip)} KB gzip; "
            f"with the service worker's {kb(all_raw)} KB raw, {kb(all_gzip)} KB gzip; "
            f"on the wire until usable {kb(opening.wire)} KB ({verdict} "
            f"{TARGET_BYTES // 1000} KB)"
        )
        print(f"  {'path':<44} {'who':<8} {'count':>5} {'raw B':>10} {'gzip B':>9}")
        for path, who, raw, gzipped, count in rows if every else _grouped(rows):
            print(f"  {path:<44} {who:<8} {count:>5} {raw:>10,} {gzipped:>9,}")


def _resource_rows(opening: Opening) -> list[tuple[str, str, int, int, int]]:
    """(path, who, raw, gzip, 1) per response; who from CDP: the page first, then the worker."""
    left = Counter(opening.sources)
    rows = []
    for served in opening.served:
        path = urlsplit(served.path).path
        who = "browser"  # the worker's own script: neither the page's nor the worker's
        for source in ("page", "worker", "page ✗", "worker ✗"):
            if left[(source, path)] > 0:
                left[(source, path)] -= 1
                who = source
                break
        rows.append((served.path, who, served.raw, served.gzipped, 1))
    return rows


def _grouped(rows: list[tuple[str, str, int, int, int]]) -> list[tuple[str, str, int, int, int]]:
    """Mission pages the worker fetched for offline use: one line, another for those aborted."""
    others = [r for r in rows if not (r[1] != "page" and re.fullmatch(r"/missions/\d+", r[0]))]
    for who, label in (("worker", "fetched for offline use"), ("worker ✗", "aborted")):
        pages = [r for r in rows if r[1] == who and re.fullmatch(r"/missions/\d+", r[0])]
        if pages:
            total = (sum(r[2] for r in pages), sum(r[3] for r in pages), len(pages))
            others.append((f"/missions/<id> ({label})", who, *total))
    return others


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="openings of each kind (median)")
    parser.add_argument("--resources", action="store_true", help="every response, one a line")
    options = parser.parse_args()
    started = time.perf_counter()
    with demo_site(gzip=True) as site, sync_playwright() as playwright:
        missions = site.missions
        assert missions.fresh_visit is not None, "la démo n’a pas de visite à commencer"
        runs = [
            PageRun("agenda", "/missions", "agenda"),
            PageRun("report", f"/missions/{missions.fresh_visit}", "report"),
        ]
        browser = launch(playwright)
        setup = phone_context(browser, site, service_workers="block")
        page = setup.new_page()
        sign_in(page, site)
        for run in runs:
            site.documents[f"/_bench/{run.name}.html"] = bare(page.request.get(run.path).body())
        state = setup.storage_state()
        setup.close()
        print(
            f"Demo built in {site.build_seconds:.0f} s; {site.investigator}, "
            f"{missions.total} missions; Slow 3G ({SLOW_3G['latency']} ms, "
            f"{SLOW_3G['downloadThroughput']:,.0f} B/s), CPU ÷{CPU_SLOWDOWN}, gzip on"
        )
        errors: list[str] = []
        for _ in range(options.runs):
            for run in runs:
                errors += measure(browser, site, state, run)
            errors += measure_tap(browser, site, state, runs[1])
        browser.close()
    print_table(runs)
    print_bytes(runs, every=options.resources)
    if errors:
        print("\nErrors seen: " + " ; ".join(sorted(set(errors))))
    print(f"\nTook {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
