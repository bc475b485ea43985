"""`make fuzz`: coverage-guided fuzzing (atheris, libFuzzer) of both parsers, for a bounded time.

Each input is split into a command line, a share-relative name and a `_time`, and handed to
`lotl.dtutil.parse` and `lotl.impacket.describe` with their caches bypassed. Beyond "never
raises", it checks what the commands promise: every output field present with the right type,
and no password that was planted after a password option ever appearing in dtutil's output.
A crash is written to build/fuzz/ as `crash-<hash>`; turn each into a regression test.

    python tools/fuzz.py [--seconds 120] [libFuzzer options...]
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from lotl import dtutil, impacket  # noqa: E402

PASSWORD_OPTIONS = ("/SourcePassword", "/DestPassword", "/Decrypt", "-SOURCEP", "/destp", "/Dec")
SEEDS = [
    rb"dtutil /FILE c:\myPackages\mypackage.dtsx /COPY FILE;c:\myTestPackages\mynewpackage.dtsx",
    rb'"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\DTUtil.exe" /FILE \\fs01\ssis$\p.dtsx /COPY FILE;"C:\My Packages\p.dtsx"',
    rb"dtutil /SQL src /SOURCEUSER u /SOURCEPASSWORD $Hj45jhd@X /MOVE SQL;dst /DESTUSER v /DESTPASSWORD !38dsFH@v",
    rb"dtutil /FILE \\fe80--1.ipv6-literal.net\s\p.dtsx /ENCRYPT file;\\h@SSL@8443\DavWWWRoot\x.dtsx;3;EncPswd",
    rb"cmd.exe /Q /c dir 1> \\127.0.0.1\ADMIN$\__1684944005.9400265 2>&1",
    rb"%COMSPEC% /Q /c echo cd ^> \\%COMPUTERNAME%\C$\__output_QwErTyUi 2^>^&1",
    rb"SYSTEM32\NMdzZfem.tmp", rb"Temp\bouWFQYO.tmp", rb"__17249",
]


def check_dtutil(line: str, password: str) -> None:
    for candidate in (line, "dtutil %s %s %s" % (line, PASSWORD_OPTIONS[len(line) % 6], password)):
        result = dtutil.parse.__wrapped__(candidate)
        assert tuple(result) == dtutil.OUTPUT_FIELDS, tuple(result)
        for name, value in result.items():
            if name in dtutil.MULTIVALUE_FIELDS:
                assert isinstance(value, tuple) and all(isinstance(v, str) for v in value), name
            else:
                assert isinstance(value, str), name
        # The promise is about a password given to a password option (the parser took the option:
        # `redacted` names it). Through an open quote the same words can instead be part of
        # another value, as dtutil itself would receive them: then they are that value's text.
        if (candidate is not line and result["redacted"] and len(password) >= 6
                and password not in candidate.replace(password, "", 1)):
            for name, value in result.items():
                text = "\n".join(value) if isinstance(value, tuple) else value
                assert password not in text, (name, candidate)


def check_impacket(value: str, relative: str, time_text: str) -> None:
    record = {"CommandLine": value, "RelativeTargetName": relative, "ShareName": "\\\\*\\ADMIN$",
              "_time": time_text}
    result = impacket.describe(record)
    assert tuple(result) == impacket.OUTPUT_FIELDS
    assert result["valid"] in ("0", "1")


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    line = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 4096))
    password = provider.ConsumeUnicodeNoSurrogates(24).strip().replace('"', "") or "Pa55word!"
    relative = provider.ConsumeUnicodeNoSurrogates(256)
    time_text = provider.ConsumeUnicodeNoSurrogates(24)
    check_dtutil(line, "X" + password.split()[0] if password.split() else "Pa55word!")
    check_impacket(line, relative, time_text)


def main() -> None:
    seconds = "120"
    args = [a for a in sys.argv[1:]]
    if "--seconds" in args:
        at = args.index("--seconds")
        seconds = args[at + 1]
        del args[at:at + 2]
    work = os.path.join(ROOT, "build", "fuzz")
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for number, seed in enumerate(SEEDS):
        with open(os.path.join(corpus, "seed-%02d" % number), "wb") as handle:
            handle.write(seed)
    libfuzzer = [sys.argv[0], corpus, "-max_total_time=" + seconds, "-artifact_prefix=" + work + "/",
                 "-print_final_stats=1"] + args
    atheris.Setup(libfuzzer, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
