"""`report --format html`: one self-contained page (inline CSS and JS, no external
assets) that sorts and filters in the browser.

Every row is rendered here, so the page reads without JavaScript; the script only
hides and reorders rows. The filter lives in the URL fragment
(`#q=deploy&severity=error&host=web2&new=1&sort=-hosts`), so a filtered view
can be bookmarked and shared, and a headless browser's --dump-dom shows it.
"""

from __future__ import annotations

from html import escape

from confcheck import __version__
from confcheck.findings import severity_rank
from confcheck.output.report_text import summary_line
from confcheck.output.text import printable

_CSS = """
:root{--bg:#f7f7f9;--fg:#1d1f24;--muted:#5d6472;--line:#dde0e6;--error:#c62828;--warning:#b26a00;
--info:#1565c0;--ok:#2e7d32;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{background:#20232a;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#c9ced8}
main{padding:16px 24px}
h2{font-size:16px;margin:24px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}
.card span{color:var(--muted)}
.card.bad b{color:var(--error)}
#controls{position:sticky;top:0;background:var(--bg);padding:10px 0;display:flex;gap:10px;flex-wrap:wrap;
align-items:center;border-bottom:1px solid var(--line);z-index:1}
#controls input[type=search]{width:340px;padding:6px 8px;border:1px solid #b8bdc7;border-radius:4px;font:inherit}
#controls select{padding:5px;border:1px solid #b8bdc7;border-radius:4px;font:inherit}
#shown{color:var(--muted)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line)}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef0f4;font-weight:600;white-space:nowrap}
th.sortable{cursor:pointer;user-select:none}
th.sortable:after{content:" \\2195";color:#9aa1ad}
th[aria-sort=ascending]:after{content:" \\25B2";color:var(--fg)}
th[aria-sort=descending]:after{content:" \\25BC";color:var(--fg)}
td.num,th.num{text-align:right}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.badge.error{background:var(--error)}.badge.warning{background:var(--warning)}.badge.info{background:var(--info)}
.badge.ok{background:var(--ok)}.badge.failed{background:var(--error)}
.badge.new{background:#6a1b9a}
.rule small{color:var(--muted)}
.msg{max-width:70ch}
details summary{cursor:pointer;color:var(--muted)}
ul.hosts{margin:4px 0 0;padding-left:18px;columns:3 10ch}
ul.hosts.inline{list-style:none;padding:0;columns:auto;display:flex;flex-wrap:wrap;gap:4px}
ul.hosts.inline li{background:#eef0f4;border-radius:3px;padding:0 6px;font-size:12px}
.failed-hosts{background:#fff3f3;border:1px solid #f1c0c0;border-radius:6px;padding:8px 14px;margin-top:12px}
.failed-hosts h2{margin:4px 0;color:var(--error)}
.failed-hosts li{margin:2px 0}
tr.failed td{background:#fff3f3}
.reason{color:var(--error)}
footer{color:var(--muted);padding:16px 24px}
"""

_JS = """
(function(){
  var rank={info:0,warning:1,error:2};
  var q=document.getElementById('filter'),sev=document.getElementById('severity'),
      host=document.getElementById('host'),fresh=document.getElementById('new-only');
  var table=document.getElementById('causes'),body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  var sortKey='';
  function params(){
    var out={},h=location.hash.replace(/^#/,'');
    h.split('&').forEach(function(p){if(!p)return;var i=p.indexOf('=');
      var k=decodeURIComponent(i<0?p:p.slice(0,i)),v=i<0?'':decodeURIComponent(p.slice(i+1).replace(/\\+/g,' '));
      out[k]=v;});
    return out;
  }
  function write(){
    var p=[];
    if(q.value)p.push('q='+encodeURIComponent(q.value));
    if(sev.value)p.push('severity='+sev.value);
    if(host.value)p.push('host='+encodeURIComponent(host.value));
    if(fresh&&fresh.checked)p.push('new=1');
    if(sortKey)p.push('sort='+sortKey);
    history.replaceState(null,'',p.length?'#'+p.join('&'):location.pathname+location.search);
  }
  function apply(){
    var text=q.value.toLowerCase(),min=sev.value?rank[sev.value]:-1,h=host.value;
    var shown=0,findings=0,hostsShown={};
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)
        &&rank[r.dataset.severity]>=min
        &&(!h||r.dataset.hosts.split(' ').indexOf(h)>=0)
        &&(!fresh||!fresh.checked||r.dataset.new==='1');
      r.hidden=!ok;
      if(ok){shown++;findings+=+r.dataset.findings;
        r.dataset.hosts.split(' ').forEach(function(x){if(x)hostsShown[x]=1;});}
    });
    var s=document.getElementById('shown');
    s.textContent=shown+' of '+rows.length+' causes shown, '+findings+' findings on '+
      Object.keys(hostsShown).length+' hosts';
    s.dataset.causes=shown;s.dataset.findings=findings;s.dataset.hosts=Object.keys(hostsShown).length;
    Array.prototype.forEach.call(document.querySelectorAll('#hosts tbody tr'),function(r){
      r.hidden=!!h&&r.dataset.host!==h;});
  }
  function sortBy(key){
    var desc=key.charAt(0)==='-',name=desc?key.slice(1):key;
    var th=table.querySelector('th[data-key="'+name+'"]');
    if(!th)return;
    var col=th.cellIndex,num=th.classList.contains('num')||th.dataset.numeric==='1';
    rows.sort(function(a,b){
      var x=a.cells[col].dataset.value||a.cells[col].textContent,y=b.cells[col].dataset.value||b.cells[col].textContent;
      var c=num?(+x)-(+y):x.localeCompare(y);
      return desc?-c:c;
    });
    rows.forEach(function(r){body.appendChild(r);});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',desc?'descending':'ascending');
    sortKey=key;
  }
  Array.prototype.forEach.call(table.querySelectorAll('th.sortable'),function(th){
    th.addEventListener('click',function(){
      var k=th.dataset.key;sortBy(sortKey===k?'-'+k:(sortKey==='-'+k?k:(th.dataset.numeric==='1'?'-'+k:k)));
      write();});
  });
  function load(){
    var p=params();
    q.value=p.q||'';sev.value=p.severity||'';host.value=p.host||'';
    if(fresh)fresh.checked=p['new']==='1';
    if(p.sort)sortBy(p.sort);
    apply();
  }
  [q,sev,host,fresh].forEach(function(el){if(el)el.addEventListener('input',function(){apply();write();});});
  window.addEventListener('hashchange',load);
  load();
  document.body.dataset.ready='1';
})();
"""


def _e(text) -> str:
    return escape(printable(str(text)), quote=True)


class _Escaped(dict):
    """_e of the texts rows repeat (rules, names, files), each escaped once."""

    def __missing__(self, text: str) -> str:
        shown = self[text] = _e(text)
        return shown


def _where(cause, escaped: _Escaped) -> str:
    parts = []
    if cause.file:
        line = f":{cause.line}" if cause.line is not None else ""
        parts.append(f"<code>{escaped[cause.file]}{line}</code>")
    if cause.fs_path:
        parts.append(f"at fault: <code>{escaped[cause.fs_path]}</code>")
    return "<br>".join(parts)


HOSTS_INLINE = 6


def _hosts_html(hosts: list, items: str) -> str:
    """A few hosts are listed; many fold away (a template mistake on 400 hosts)."""
    if len(hosts) <= HOSTS_INLINE:
        return f'<ul class="hosts inline">{items}</ul>'
    return f'<details><summary>{len(hosts)} hosts</summary><ul class="hosts">{items}</ul></details>'


def _write_cause_row(write, cause, with_baseline: bool, shown: dict, as_is: bool, lists: dict,
                     escaped: _Escaped) -> None:
    """shown: each host's name as the page shows it (escaped once: a cause lists up to every host);
    as_is: every name shows as it is; lists: id of a list of hosts (causes share them) -> (the list,
    its data-hosts value, its hosts' list), each written once and then reused as it is."""
    hosts = cause.hosts
    new = "1" if cause.new_hosts else "0"
    new_badge = (f' <span class="badge new">new on {len(cause.new_hosts)}</span>'
                 if with_baseline and cause.new_hosts else "")
    known = lists.get(id(hosts))
    if known is None:
        names = hosts if as_is else map(shown.__getitem__, hosts)
        known = lists[id(hosts)] = (hosts, " ".join(hosts) if as_is else _e(" ".join(hosts)),
                                    _hosts_html(hosts, "<li>" + "</li><li>".join(names) + "</li>" if hosts else ""))
    if cause.new_hosts:
        listed = _hosts_html(hosts, "".join(f"<li>{shown[h]}{' (new)' if h in cause.new_hosts else ''}</li>"
                                            for h in hosts))
    else:
        listed = known[2]
    rule = escaped[cause.rule]
    write(f'<tr class="cause" data-rule="{rule}" data-severity="{cause.severity}" data-hosts="')
    write(known[1])
    write(f'" data-findings="{cause.occurrences}" data-new="{new}">'
          f'<td data-value="{severity_rank(cause.severity)}"><span class="badge {cause.severity}">'
          f'{cause.severity}</span></td>'
          f'<td class="rule" data-value="{rule}">{rule}<br><small>{escaped[cause.name]}</small></td>'
          f'<td class="num hostcount" data-value="{len(hosts)}">{len(hosts)}</td>'
          f'<td class="num" data-value="{cause.occurrences}">{cause.occurrences}</td>'
          f'<td><div class="msg">{_e(cause.message)}{new_badge}</div>')
    write(listed)
    write(f'</td><td>{_where(cause, escaped)}</td></tr>')


def _host_row(host, with_baseline: bool) -> str:
    status = "ok" if host.ok else "failed"
    cells = [f'<td>{_e(host.host)}</td>', f'<td><span class="badge {status}">{status}</span></td>']
    cells += [f'<td class="num">{host.counts[s]}</td>' for s in ("error", "warning", "info")]
    if with_baseline:
        gone = "" if host.gone is None else str(host.gone)
        cells += [f'<td class="num">{host.new or 0}</td>', f'<td class="num">{gone}</td>',
                  f'<td>{_e(host.baseline or "")}</td>']
    cells.append(f'<td class="reason">{_e(host.failure) if host.failure else ""}</td>')
    return f'<tr class="{status}" data-host="{_e(host.host)}">{"".join(cells)}</tr>'


def _failed_html(view) -> str:
    failed = view.failed
    if not failed:
        return ""
    items = "".join(f"<li><b>{_e(h.host)}</b>: {_e(h.failure)}</li>" for h in failed)
    return (f'<section class="failed-hosts"><h2>{len(failed)} host{"s" if len(failed) != 1 else ""} '
            f'failed to scan</h2><ul>{items}</ul></section>')


def render_html(view) -> str:
    import io

    out = io.StringIO()
    write_html(view, out)
    return out.getvalue()


def write_html(view, out) -> None:
    """The page, written piece by piece (a large fleet's is tens of megabytes: never held whole)."""
    with_baseline = view.baseline is not None
    rules = view.rules()
    shown = {h.host: _e(h.host) for h in view.hosts}
    as_is = all(e == h for h, e in shown.items())
    findings = sum(h.findings for h in view.hosts)
    cards = [(len(view.hosts), "hosts", False), (len(view.failed), "failed to scan", bool(view.failed)),
             (findings, "findings", False), (len(view.causes), "causes", False), (len(rules), "rules", False)]
    if with_baseline:
        cards.append((sum(h.new or 0 for h in view.hosts), "new since the baseline", False))
    card_html = "".join(f'<div class="card{" bad" if bad else ""}"><b>{n}</b><span>{label}</span></div>'
                        for n, label, bad in cards)
    host_options = "".join(f'<option value="{_e(h.host)}">{_e(h.host)}</option>' for h in view.hosts)
    new_control = ('<label><input type="checkbox" id="new-only"> new since the baseline only</label>'
                   if with_baseline else "")
    rule_rows = "".join(
        f'<tr><td><span class="badge {r["severity"]}">{r["severity"]}</span></td>'
        f'<td class="rule">{_e(r["rule"])} <small>{_e(r["name"])}</small></td>'
        f'<td class="num">{r["hosts"]}</td><td class="num">{r["causes"]}</td>'
        f'<td class="num">{r["findings"]}</td></tr>' for r in rules)
    baseline_heads = "<th class=num>New</th><th class=num>Gone</th><th>Baseline</th>" if with_baseline else ""
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        "<title>confcheck fleet report</title><style>", _CSS, "</style></head><body>",
        f"<header><h1>confcheck fleet report</h1><p id=\"summary\">{_e(summary_line(view))}</p></header><main>",
        f'<div class="cards">{card_html}</div>',
        _failed_html(view),
        '<h2>Causes</h2><div id="controls">',
        '<input id="filter" type="search" placeholder="Filter: rule, message, path, host" aria-label="filter">',
        '<select id="severity" aria-label="severity"><option value="">every severity</option>'
        '<option value="error">errors</option><option value="warning">warnings and errors</option></select>',
        f'<select id="host" aria-label="host"><option value="">every host</option>{host_options}</select>',
        new_control, '<span id="shown"></span></div>',
        '<table id="causes"><thead><tr>'
        '<th class="sortable" data-key="severity" data-numeric="1">Severity</th>'
        '<th class="sortable" data-key="rule">Rule</th>'
        '<th class="sortable num" data-key="hosts">Hosts</th>'
        '<th class="sortable num" data-key="findings">Findings</th>'
        '<th>Cause</th><th>Where (as the server names it)</th></tr></thead><tbody>',
    ]
    write = out.write
    write("".join(parts))
    lists: dict = {}
    escaped = _Escaped()
    for cause in view.causes:
        _write_cause_row(write, cause, with_baseline, shown, as_is, lists, escaped)
    parts = [
        "</tbody></table>",
        '<h2>Hosts</h2><table id="hosts"><thead><tr><th>Host</th><th>Status</th><th class=num>Errors</th>'
        f'<th class=num>Warnings</th><th class=num>Info</th>{baseline_heads}<th>Why it failed</th></tr></thead><tbody>',
        "".join(_host_row(h, with_baseline) for h in view.hosts),
        "</tbody></table>",
        '<h2>Rules</h2><table id="rules"><thead><tr><th>Severity</th><th>Rule</th><th class=num>Hosts</th>'
        f'<th class=num>Causes</th><th class=num>Findings</th></tr></thead><tbody>{rule_rows}</tbody></table>',
        f"</main><footer>confcheck {escape(__version__)}</footer><script>", _JS, "</script></body></html>\n",
    ]
    write("".join(parts))
