import Foundation

/// The live page `--metrics-port` serves at `/`: one self-contained HTML document (inline CSS and script, nothing
/// loaded from elsewhere) that shows every job's state, progress, rate, ETA and last operator actions, and refreshes
/// them from `/jobs.json` every 1.5 s while it is open, without reloading.
///
/// Read-only: it has no control, and its script only reads `/jobs.json`. Job data (file names and reasons are
/// operator text) reaches the page through `textContent` only, never as markup. The content security policy lets only
/// the page's own style and script (by a nonce new with each answer) run, and lets it connect only to its own origin.
enum LivePage {
    /// How often the page fetches `/jobs.json` again, in milliseconds.
    static let refreshMilliseconds = 1500

    /// A fresh nonce for one answer: 16 random bytes in base64.
    static func newNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }

    /// The `Content-Security-Policy` header of the page answered with `nonce`.
    static func contentSecurityPolicy(nonce: String) -> String {
        [
            "default-src 'none'", "script-src 'nonce-\(nonce)'", "style-src 'nonce-\(nonce)'", "connect-src 'self'",
            "img-src data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// The page, its style and script carrying `nonce`.
    static func html(nonce: String) -> String {
        template.replacingOccurrences(of: "NONCE", with: nonce)
            .replacingOccurrences(of: "REFRESH_MS", with: "\(refreshMilliseconds)")
    }

    private static let template = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>verifyd jobs</title>
        <link rel="icon" href="data:,">
        <style nonce="NONCE">
        body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 60rem; padding: 0 1rem;
               color: #1d2330; background: #f5f6f8; }
        h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
        #updated { color: #5b6475; margin: 0 0 1rem; }
        #updated.stale { color: #a1260d; }
        .job { background: #fff; border: 1px solid #d8dce3; border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; }
        .job h2 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
        .id { color: #5b6475; font: 12px ui-monospace, monospace; }
        .state { font-size: 12px; font-weight: normal; padding: 0 .4rem; border-radius: 3px; background: #e4e7ec; }
        .state[data-state=queued] { background: #d7e8fb; }
        .state[data-state=paused], .state[data-state=held], .state[data-state=canceling] { background: #fbe7c6; }
        .state[data-state=finished] { background: #d3f0da; }
        .state[data-state=canceled], .state[data-state=rejected] { background: #f6d4cf; }
        progress { display: block; width: 100%; height: 1rem; margin: .5rem 0; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 .5rem; }
        dt { color: #5b6475; }
        dd { margin: 0; overflow-wrap: anywhere; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; }
        caption { text-align: left; color: #5b6475; }
        th, td { text-align: left; padding: .15rem .75rem .15rem 0; border-top: 1px solid #eceef2; vertical-align: top; }
        td.reason { overflow-wrap: anywhere; }
        </style>
        </head>
        <body>
        <h1>verifyd jobs</h1>
        <p id="updated" role="status">loading…</p>
        <p id="empty" hidden>No job in the store yet.</p>
        <main id="jobs"></main>
        <template id="job">
        <section class="job">
        <h2><span class="file"></span> <span class="state"></span></h2>
        <div class="id"></div>
        <progress class="bar" max="1" value="0"></progress>
        <dl>
        <dt>done</dt><dd class="progress"></dd>
        <dt>rate</dt><dd class="rate"></dd>
        <dt>ETA</dt><dd class="eta"></dd>
        <dt>statuses</dt><dd class="counts"></dd>
        <dt class="why" hidden>paused</dt><dd class="why reason" hidden></dd>
        <dt class="window" hidden>send window</dt><dd class="window" hidden></dd>
        </dl>
        <table class="actions" hidden>
        <caption>last operator actions</caption>
        <thead><tr><th>asked</th><th>action</th><th>by</th><th>reason</th><th>carried out</th></tr></thead>
        <tbody></tbody>
        </table>
        </section>
        </template>
        <script nonce="NONCE">
        "use strict";
        const list = document.getElementById("jobs");
        const updated = document.getElementById("updated");
        const template = document.getElementById("job");
        const sections = new Map();
        const dash = "\u2013";

        function duration(seconds) {
          if (seconds === null || seconds === undefined || seconds <= 0) return dash;
          const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
          const two = (n) => String(n).padStart(2, "0");
          return h > 0 ? `${h}h ${two(m)}m` : m > 0 ? `${m}m ${two(s)}s` : `${s}s`;
        }

        function cell(row, value) {
          const td = row.insertCell();
          td.textContent = value;
          return td;
        }

        function fill(section, job) {
          const part = (selector) => section.querySelector(selector);
          section.dataset.job = job.id;
          part(".file").textContent = job.file;
          part(".state").textContent = job.state;
          part(".state").dataset.state = job.state;
          part(".id").textContent = job.id;
          const bar = part(".bar");
          bar.max = Math.max(job.total, 1);
          bar.value = job.done;
          const percent = job.total > 0 ? Math.floor(job.done * 100 / job.total) : 0;
          part(".progress").textContent = `${job.done} / ${job.total} (${percent} %)`;
          part(".rate").textContent =
            job.requests_per_second === null ? dash : `${job.requests_per_second.toFixed(1)} requests/s`;
          part(".eta").textContent = duration(job.eta_seconds);
          part(".counts").textContent =
            Object.entries(job.counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(" \u00b7 ") || dash;
          const why = job.reason === undefined ? "" : job.reason + (job.paused_by ? ` (${job.paused_by})` : "");
          for (const element of section.querySelectorAll(".why")) element.hidden = why === "";
          part("dd.why").textContent = why;
          const waiting = job.rows_waiting_for_window === undefined ? ""
            : `${job.rows_waiting_for_window} rows wait; the next window opens at ${job.window_opens_at}`;
          for (const element of section.querySelectorAll(".window")) element.hidden = waiting === "";
          part("dd.window").textContent = waiting;
          const table = part(".actions");
          const body = table.tBodies[0];
          body.replaceChildren();
          for (const action of job.actions.slice(-5).reverse()) {
            const row = body.insertRow();
            cell(row, action.requested_at);
            cell(row, action.action);
            cell(row, action.user);
            cell(row, action.reason ?? dash).className = "reason";
            cell(row, action.carried_out_at ?? "not yet");
          }
          table.hidden = job.actions.length === 0;
        }

        function show(jobs) {
          const seen = new Set();
          for (const job of jobs) {
            seen.add(job.id);
            let section = sections.get(job.id);
            if (!section) {
              section = template.content.firstElementChild.cloneNode(true);
              sections.set(job.id, section);
            }
            fill(section, job);
            list.append(section);
          }
          for (const [id, section] of sections) {
            if (!seen.has(id)) {
              section.remove();
              sections.delete(id);
            }
          }
          document.getElementById("empty").hidden = jobs.length > 0;
        }

        async function refresh() {
          try {
            const answer = await fetch("jobs.json", { cache: "no-store", headers: { Accept: "application/json" } });
            if (!answer.ok) throw new Error((await answer.text()).trim() || `HTTP ${answer.status}`);
            show(await answer.json());
            updated.textContent = `updated ${new Date().toLocaleTimeString()}, again every REFRESH_MS ms`;
            updated.classList.remove("stale");
          } catch (error) {
            updated.textContent = `not updated since the last time shown: ${error.message}`;
            updated.classList.add("stale");
          } finally {
            setTimeout(refresh, REFRESH_MS);
          }
        }

        refresh();
        </script>
        </body>
        </html>

        """#
}
