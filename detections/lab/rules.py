"""What each saved search does after its base search, mirrored in Python so that the tests and
the demo can run it without a Splunk: the same fields, the same custom commands (from the built
app, through the harness), the same allowlist and maintenance-window rules, the same grouping.

Each `decide_*` takes the events the Sigma filter selected and returns the alerts (one per row
the saved search would return), each with the events it came from. Keep them in step with
package/default/savedsearches.conf: the field names are the same on purpose.
"""
import csv
import datetime
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from detections.lab import commands
from detections.lab.events import Event, Loaded

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOKUPS = os.path.join(ROOT, "package", "lookups")
Value = Union[str, List[str]]
Record = Dict[str, Value]


@dataclass
class Alert:
    fields: Dict[str, Value]
    events: List[Loaded] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Field helpers (Splunk's coalesce skips absent fields; an empty value counts as absent, as a
# search-time extraction does not create empty fields)


def first(record: Record, *names: str) -> Optional[str]:
    for name in names:
        value = record.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value not in (None, ""):
            return str(value)
    return None


def values(record: Record, name: str) -> List[str]:
    value = record.get(name)
    if value in (None, ""):
        return []
    return [v for v in value if v != ""] if isinstance(value, list) else [str(value)]


def basename(path: Optional[str]) -> Optional[str]:
    return None if path is None else re.sub(r"^.*\\", "", path)


def process_fields(event: Event) -> Record:
    """The CIM-style fields every process-creation search computes first."""
    record: Record = dict(event)
    record["dest"] = (first(event, "Computer", "host") or "").lower()
    record["process"] = first(event, "CommandLine", "Process_Command_Line", "process") or ""
    process_path = first(event, "Image", "NewProcessName", "process_path")
    parent_path = first(event, "ParentImage", "ParentProcessName", "parent_process_path")
    record["process_path"] = process_path or ""
    record["process_name"] = basename(process_path) or ""
    record["parent_process_name"] = basename(parent_path) or ""
    record["parent_process"] = first(event, "ParentCommandLine", "parent_process") or parent_path or ""
    target = first(event, "TargetUserName")
    subject = first(event, "SubjectUserName")
    record["user"] = (first(event, "User")
                      or ("%s\\%s" % (event.get("TargetDomainName", ""), target) if target and target != "-" else None)
                      or ("%s\\%s" % (event.get("SubjectDomainName", ""), subject) if subject else None)
                      or first(event, "user") or "")
    record["process_guid"] = first(event, "ProcessGuid", "process_guid") or ""
    return record


def event_time(event: Event) -> float:
    text = event.get("_time", "")
    try:
        return float(text)
    except ValueError:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def ip_normalize(ip: Optional[str]) -> Optional[str]:
    return None if ip is None else re.sub(r"^::ffff:", "", ip)


def ip_scope(ip: Optional[str]) -> Optional[str]:
    """`lotl_ip_scope`."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "external"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    private = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]
    if any(address.version == n.version and address in n for n in private):
        return "internal"
    return "external"


def unc_host(path: Optional[str]) -> Optional[str]:
    """`lotl_unc_host`."""
    if not path or not path.startswith("\\\\"):
        return None
    return re.sub(r"^\\\\(?:\?\\UNC\\)?([^\\@]+).*", r"\1", path, flags=re.S).lower()


def server_host(server: Optional[str]) -> Optional[str]:
    """`lotl_server_host`."""
    if not server:
        return None
    return re.sub(r"[,\\].*", "", re.sub(r"(?i)^(tcp|np|lpc):", "", server), flags=re.S).lower()


def has_signal(record: Record, name: str) -> bool:
    return name in values(record, "dtutil_signals")


# ---------------------------------------------------------------------------------------------
# Allowlists: the lookups of transforms.conf, with their match types, and the verdict macros


def read_lookup(name: str, folder: str = LOOKUPS) -> List[Dict[str, str]]:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def wildcard(pattern: str, value: Optional[str]) -> bool:
    """WILDCARD match_type, case_sensitive_match = false: `*` is the only wildcard."""
    if value is None:
        return False
    regex = ".*".join(re.escape(part) for part in pattern.lower().split("*"))
    return re.fullmatch(regex, value.lower(), flags=re.S) is not None


def cidr(pattern: str, value: Optional[str]) -> bool:
    try:
        return value is not None and ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


@dataclass
class Verdict:
    state: str = "none"  # none | active | expired
    ticket: Optional[str] = None


def verdict(row: Optional[Dict[str, str]], today: datetime.date) -> Verdict:
    """`lotl_allowlist_verdict`: active when `expires` is empty or not yet past; a date that does
    not parse counts as expired."""
    if row is None:
        return Verdict()
    ticket = row.get("ticket") or "(no ticket)"
    expires = (row.get("expires") or "").strip()
    if not expires:
        return Verdict("active", ticket)
    try:
        return Verdict("active" if datetime.date.fromisoformat(expires) >= today else "expired", ticket)
    except ValueError:
        return Verdict("expired", ticket)


@dataclass
class Allowlists:
    servers: List[Dict[str, str]] = field(default_factory=list)
    shares: List[Dict[str, str]] = field(default_factory=list)
    windows: List[Dict[str, str]] = field(default_factory=list)
    admin_share: List[Dict[str, str]] = field(default_factory=list)
    today: datetime.date = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).date())

    @classmethod
    def load(cls, folder: str = LOOKUPS) -> "Allowlists":
        return cls(read_lookup("lotl_dtutil_approved_servers.csv", folder),
                   read_lookup("lotl_dtutil_approved_shares.csv", folder),
                   read_lookup("lotl_maintenance_windows.csv", folder),
                   read_lookup("lotl_admin_share_exec_allowlist.csv", folder))

    def _first(self, rows: Iterable[Dict[str, str]], test: Callable[[Dict[str, str]], bool]) -> Optional[Dict[str, str]]:
        return next((row for row in rows if test(row)), None)  # max_matches = 1: first row decides

    def server(self, host: Optional[str]) -> Verdict:
        return verdict(self._first(self.servers, lambda r: wildcard(r.get("host", ""), host)), self.today)

    def share(self, path: Optional[str]) -> Verdict:
        return verdict(self._first(self.shares, lambda r: wildcard(r.get("share", ""), path)), self.today)

    def maintenance(self, host: str, when: float) -> Optional[str]:
        """`lotl_maintenance_window`: the ticket of a window of this host that covers `when`."""
        hits = [row for row in self.windows if wildcard(row.get("host", ""), host) and _covers(row, when)]
        return (hits[0].get("ticket") or "(no ticket)") if hits else None

    def admin_share_by_src(self, src: Optional[str], host: str) -> Verdict:
        return verdict(self._first(self.admin_share, lambda r: cidr(r.get("src", ""), src)
                                   and wildcard(r.get("host", ""), host)), self.today)

    def admin_share_by_host(self, host: str) -> Verdict:
        row = self._first(self.admin_share, lambda r: wildcard(r.get("host", ""), host))
        return verdict(row if row is not None and not row.get("src") else None, self.today)


def _iso_epoch(text: str) -> Optional[float]:
    try:
        moment = datetime.datetime.strptime(re.sub(r"([+-]\d\d):(\d\d)", r"\1\2", text.replace("Z", "+0000")),
                                            "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return moment.timestamp()


def _covers(row: Dict[str, str], when: float) -> bool:
    start, end = _iso_epoch(row.get("start", "")), _iso_epoch(row.get("end", ""))
    return start is not None and end is not None and start <= when <= end


# ---------------------------------------------------------------------------------------------
# DTUtil


def _dtutil_sides(record: Record, lists: Allowlists) -> Tuple[bool, bool, List[str]]:
    """The approved-location part shared by the DTUtil searches: (src_ok, dst_ok, expired tickets)."""
    expired: List[str] = []
    oks = []
    for side, signal in (("source", "remote_source"), ("dest", "remote_dest")):
        host = server_host(first(record, "dtutil_%s_server" % side)) or unc_host(first(record, "dtutil_%s_path" % side))
        by_server = lists.server(host)
        by_share = lists.share(first(record, "dtutil_%s_path" % side))
        expired += [v.ticket for v in (by_server, by_share) if v.state == "expired" and v.ticket]
        oks.append(not has_signal(record, signal) or "active" in (by_server.state, by_share.state))
    return oks[0], oks[1], expired


def decide_dtutil_network_connection(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    by_process: Dict[Tuple[str, str], Dict[str, List[str]]] = {}
    for _file, event in selected:
        key = ((first(event, "Computer", "host") or "").lower(), first(event, "ProcessGuid", "process_guid") or "")
        bag = by_process.setdefault(key, {"CommandLine": [], "parent_process": [], "user": []})
        for src, dst in (("CommandLine", "CommandLine"), ("ParentCommandLine", "parent_process"), ("User", "user")):
            if first(event, src) and event[src] not in bag[dst]:
                bag[dst].append(event[src])
    groups: Dict[Tuple[str, str, str, str], Alert] = {}
    for loaded in selected:
        event = loaded[1]
        if event.get("EventCode") != "3":
            continue
        dest = (first(event, "Computer", "host") or "").lower()
        guid = first(event, "ProcessGuid", "process_guid") or ""
        remote_ip = ip_normalize(first(event, "DestinationIp", "dest_ip")) or ""
        hostname = first(event, "DestinationHostname")
        remote_host = (remote_ip if hostname in (None, "-") else hostname).lower()
        scope = ip_scope(remote_ip)
        if scope == "loopback":
            continue
        port = first(event, "DestinationPort", "dest_port") or ""
        alert = groups.setdefault((dest, guid, remote_ip, port), Alert({
            "dest": dest, "process_guid": guid, "remote_ip": remote_ip, "remote_port": port,
            "remote_host": remote_host, "remote_scope": scope or "", "_time": str(event_time(event)),
            **by_process.get((dest, guid), {})}))
        alert.events.append(loaded)
    rows = list(groups.values())
    records = [{"process": (a.fields.get("CommandLine") or [""])[0]} for a in rows]
    out: List[Alert] = []
    for alert, parsed in zip(rows, commands.run("dtutilargs", records, ["field=process"])):
        record = {**alert.fields, **parsed}
        src_ok, dst_ok, expired = _dtutil_sides(record, lists)
        by_host, by_ip = lists.server(str(record["remote_host"])), lists.server(str(record["remote_ip"]))
        expired += [v.ticket for v in (by_host, by_ip) if v.state == "expired" and v.ticket]
        remote = has_signal(record, "remote_source") or has_signal(record, "remote_dest")
        if (lists.maintenance(str(record["dest"]), float(record["_time"] or 0))
                or "active" in (by_host.state, by_ip.state) or (remote and src_ok and dst_ok)):
            continue
        record["allowlist_expired"] = sorted(set(expired))
        out.append(Alert(record, alert.events))
    return out


def decide_dtutil_remote_package_transfer(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    records = [process_fields(event) for _f, event in selected]
    out: List[Alert] = []
    for loaded, record in zip(selected, commands.run("dtutilargs", records, ["field=process"])):
        if first(record, "dtutil_direction") not in ("ingress", "egress", "relay"):
            continue
        src_ok, dst_ok, expired = _dtutil_sides(record, lists)
        if lists.maintenance(str(record["dest"]), event_time(loaded[1])) or (src_ok and dst_ok):
            continue
        record["allowlist_expired"] = sorted(set(expired))
        out.append(Alert(record, [loaded]))
    return out


def decide_dtutil_package_staged(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    groups: Dict[Tuple[str, str], Alert] = {}
    for loaded in selected:
        event = loaded[1]
        dest = (first(event, "Computer", "host") or "").lower()
        if lists.maintenance(dest, event_time(event)):
            continue
        path = first(event, "TargetFilename", "file_path") or ""
        alert = groups.setdefault((dest, path), Alert({
            "dest": dest, "file_path": path, "file_name": basename(path) or "",
            "process_path": first(event, "Image") or "", "user": first(event, "User") or ""}))
        alert.events.append(loaded)
    return list(groups.values())


_DTEXEC_FILE = re.compile(r'(?i)(?:^|\s)[/-]f(?:ile|il|i)?\s+("[^"]+"|[^\s"]+)')


def package_location(path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    if re.match(r"(?i)^\\\\[^\\]+@", path) or re.match(r"(?i)^\\\\[^\\]+\\davwwwroot", path):
        return "WebDAV path"
    if path.startswith("\\\\"):
        return "UNC path"
    if re.match(r"(?i)^([^\W\d_]:\\(users|programdata|perflogs|windows\\temp)\\|%(temp|tmp|public|userprofile|appdata|localappdata)%)", path):
        return "user-writable folder"
    return None


def decide_dtexec_runs_staged_package(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    staged: Dict[Tuple[str, str], List[float]] = {}
    runs: List[Tuple[Loaded, Record]] = []
    for loaded in selected:
        record = process_fields(loaded[1])
        match = _DTEXEC_FILE.search(str(record["process"]))
        package = match.group(1).strip('"') if match else None
        record["package_path"] = package or ""
        key = ((first(loaded[1], "TargetFilename") or package or "").lower())
        if loaded[1].get("EventCode") == "11":
            staged.setdefault((str(record["dest"]), key), []).append(event_time(loaded[1]))
        else:
            runs.append((loaded, record))
    out: List[Alert] = []
    for loaded, record in runs:
        when = event_time(loaded[1])
        package = first(record, "package_path")
        times = [t for t in staged.get((str(record["dest"]), (package or "").lower()), []) if t <= when and when - t <= 14400]
        location = "written by dtutil.exe on this host in the preceding 4 hours" if times else package_location(package)
        if location is None:
            continue
        share = lists.share(package)
        if lists.maintenance(str(record["dest"]), when) or share.state == "active":
            continue
        record["package_location"] = location
        record["staged_time"] = iso(max(times)) if times else ""
        record["allowlist_expired"] = [share.ticket] if share.state == "expired" and share.ticket else []
        out.append(Alert(record, [loaded]))
    return out


# ---------------------------------------------------------------------------------------------
# Impacket

_REDIRECT = re.compile(r"(?i)>\s*(?P<output_file>\\\\(?P<output_host>[^\\\s]+)\\(?P<output_share>(?:ADMIN|C)\$)\\[^\\\s]+"
                       r"|(?:%windir%|%systemroot%|[^\W\d_]:\\windows)\\temp\\[^\W\d_]{8}\.tmp)")


def _group(rows: Iterable[Tuple[Loaded, Record]], keys: Sequence[str], collect: Sequence[str]) -> List[Alert]:
    groups: Dict[Tuple[str, ...], Alert] = {}
    for loaded, record in rows:
        key = tuple(str(record.get(k, "")) for k in keys)
        alert = groups.setdefault(key, Alert({k: record.get(k, "") for k in keys}))
        when = event_time(loaded[1])
        alert.fields["firstTime"] = min(float(alert.fields.get("firstTime", when)), when)  # type: ignore[arg-type]
        alert.fields["lastTime"] = max(float(alert.fields.get("lastTime", when)), when)  # type: ignore[arg-type]
        for name in collect:
            bucket = alert.fields.setdefault(name, [])
            for value in values(record, name):
                if isinstance(bucket, list) and value not in bucket:
                    bucket.append(value)
        alert.events.append(loaded)
    for alert in groups.values():
        alert.fields["count"] = str(len(alert.events))
        for name in ("firstTime", "lastTime"):
            alert.fields[name] = iso(float(alert.fields[name]))  # type: ignore[arg-type]
    return list(groups.values())


def decide_impacket_output_redirect(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    kept: List[Tuple[Loaded, Record]] = []
    for loaded in selected:
        record = process_fields(loaded[1])
        match = _REDIRECT.search(str(record["process"]))
        if not match:
            continue
        host = (match.group("output_host") or "").lower()
        dest = str(record["dest"])
        if not match.group("output_host"):
            target = "windows_temp"
        elif host in ("127.0.0.1", "localhost", "::1", "%computername%", "."):
            target = "loopback"
        elif host in (dest, dest.split(".")[0]):
            target = "self"
        else:
            continue
        record.update(output_file=match.group("output_file"), output_target=target,
                      output_share=(match.group("output_share") or "").upper())
        kept.append((loaded, record))
    rows: List[Tuple[Loaded, Record]] = []
    for (loaded, _r), record in zip(kept, commands.run("epochshare", [r for _l, r in kept], ["field=process"])):
        valid = first(record, "epoch_valid") == "1"
        if record["output_target"] == "windows_temp" and not (valid and first(record, "epoch_kind") == "temp_tmp"):
            continue
        allow = lists.admin_share_by_host(str(record["dest"]))
        if allow.state == "active":
            continue
        record["allowlist_expired"] = [allow.ticket] if allow.ticket else []
        record["tool"] = (", ".join(values(record, "epoch_tools")) if valid
                          else "unknown: Impacket-style output redirect under another name (e.g. smbmap)")
        rows.append((loaded, record))
    return _group(rows, ["dest", "output_file"],
                  ["user", "tool", "output_target", "output_share", "epoch_artifact", "epoch_kind", "epoch_time",
                   "epoch_skew", "parent_process_name", "parent_process", "process_name", "process", "allowlist_expired"])


def _share_records(selected: Sequence[Loaded]) -> List[Record]:
    records: List[Record] = []
    for _file, event in selected:
        record: Record = dict(event)
        src = ip_normalize(first(event, "IpAddress", "Source_Address", "src"))
        subject = first(event, "SubjectUserName")
        record.update(dest=(first(event, "Computer", "host") or "").lower(), src=src or "",
                      src_scope=ip_scope(src) or "", share=first(event, "ShareName", "Share_Name") or "",
                      access_mask=first(event, "AccessMask", "Access_Mask") or "",
                      user=("%s\\%s" % (event.get("SubjectDomainName", ""), subject)) if subject else (first(event, "user") or ""))
        records.append(record)
    return records


def _share_rule(selected: Sequence[Loaded], lists: Allowlists, kinds: Sequence[str], collect: Sequence[str],
                label: Callable[[Record], None]) -> List[Alert]:
    parsed = commands.run("epochshare", _share_records(selected))
    kept = [(loaded, record) for loaded, record in zip(selected, parsed)
            if first(record, "epoch_valid") == "1" and first(record, "epoch_kind") in kinds]
    session_src: Dict[Tuple[str, str], List[str]] = {}
    for _l, record in kept:
        if record["src_scope"] != "loopback" and record["src"]:
            session_src.setdefault((str(record["dest"]), str(record["epoch_artifact"])), []).append(str(record["src"]))
    rows: List[Tuple[Loaded, Record]] = []
    for loaded, record in kept:
        label(record)
        srcs = session_src.get((str(record["dest"]), str(record["epoch_artifact"])), [])
        allow_src = (sorted(srcs)[0] if srcs else None) if record["src_scope"] == "loopback" else str(record["src"])
        allow = lists.admin_share_by_src(allow_src, str(record["dest"]))
        if allow.state == "active":
            continue
        record["allowlist_expired"] = [allow.ticket] if allow.ticket else []
        rows.append((loaded, record))
    return _group(rows, ["dest", "epoch_artifact"], list(collect) + ["allowlist_expired"])


def decide_impacket_output_file(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    def label(record: Record) -> None:
        record["access"] = ("written through loopback (the command output)" if record["src_scope"] == "loopback"
                            else "read or deleted from the remote operator's address")
    return _share_rule(selected, lists, ("epoch_output", "epoch5_output", "smbexec_output"),
                       ["src", "user", "access", "access_mask", "share", "epoch_kind", "epoch_tools", "epoch_time", "epoch_skew"],
                       label)


def decide_impacket_hive_dump(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    def label(record: Record) -> None:
        record["candidate_tools"] = " or ".join(values(record, "epoch_tools"))
        record["access"] = "through loopback" if record["src_scope"] == "loopback" else "from the remote operator's address"
    return _share_rule(selected, lists, ("system32_tmp", "temp_tmp"),
                       ["src", "user", "access", "access_mask", "share", "epoch_kind", "candidate_tools"], label)


def decide_impacket_session_timeline(selected: Sequence[Loaded], lists: Allowlists) -> List[Alert]:
    records = []
    for _file, event in selected:
        record = process_fields(event)
        record["process"] = first(record, "process") or first(event, "ServiceFileName", "ImagePath") or ""
        src = ip_normalize(first(event, "IpAddress", "Source_Address", "src"))
        record["src"] = "" if ip_scope(src) == "loopback" else (src or "")
        records.append(record)
    parsed = commands.run("epochshare", records)
    rows = [(loaded, record) for loaded, record in zip(selected, parsed) if first(record, "epoch_valid") == "1"]
    return _group(rows, ["epoch_artifact", "dest"],
                  ["epoch_time", "epoch_skew", "EventCode", "epoch_kind", "epoch_tools", "process", "src", "user"])


DECISIONS: Dict[str, Callable[[Sequence[Loaded], Allowlists], List[Alert]]] = {
    "LOTL - DTUtil Network Connection - Rule": decide_dtutil_network_connection,
    "LOTL - DTUtil Remote Package Transfer - Rule": decide_dtutil_remote_package_transfer,
    "LOTL - DTUtil Package Staged in User-Writable Path - Rule": decide_dtutil_package_staged,
    "LOTL - DTExec Runs Staged Package - Rule": decide_dtexec_runs_staged_package,
    "LOTL - Impacket Output Redirect to Admin Share - Rule": decide_impacket_output_redirect,
    "LOTL - Impacket Output File on Admin Share - Rule": decide_impacket_output_file,
    "LOTL - Impacket Remote Registry Hive Dump on Admin Share - Rule": decide_impacket_hive_dump,
    "LOTL - Impacket Session Timeline - Hunt": decide_impacket_session_timeline,
}
