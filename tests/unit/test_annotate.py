"""lotl.annotate: how a describer's result is laid onto search records."""
import types

import pytest

from lotl import annotate as annotate_module
from lotl.annotate import Annotator, to_search_value


def describer(results, fields=("kind", "tags", "error")):
    """A stand-in core module: `results` maps a record's `text` to its describe() result."""
    def describe(record, field=None):
        value = record.get(field or "text", "")
        if value == "boom":
            raise ValueError("a describer bug")
        return results.get(value, EMPTY)

    EMPTY = {name: () if name == "tags" else "" for name in fields}
    return types.SimpleNamespace(describe=describe, OUTPUT_FIELDS=fields,
                                 required_fields=lambda field: [field or "text"])


FOUND = {"kind": "k1", "tags": ("a", "b"), "error": ""}


@pytest.mark.parametrize("value,expected", [
    ("x", "x"), ("", None), ((), None), (("a",), "a"), (("a", "b"), ["a", "b"]), (["1", 2], ["1", "2"]),
])
def test_to_search_value(value, expected):
    assert to_search_value(value) == expected


def test_only_non_empty_values_are_added_under_the_prefix():
    annotate = Annotator(describer({"hit": FOUND}), "p_")
    assert annotate({"text": "hit", "other": "1"}) == {"text": "hit", "other": "1", "p_kind": "k1", "p_tags": ["a", "b"]}
    miss = {"text": "miss"}
    assert annotate(miss) is miss and miss == {"text": "miss"}


def test_output_fields_and_required_fields():
    annotate = Annotator(describer({}), "dt_", field="cmd")
    assert annotate.output_fields == ["dt_kind", "dt_tags", "dt_error"]
    assert annotate.required_fields == ["cmd"]


def test_a_failing_describer_never_loses_the_record():
    annotate = Annotator(describer({}), "p_")
    assert annotate({"text": "boom"}) == {"text": "boom", "p_error": "internal error: ValueError"}
    no_error_field = Annotator(describer({}, fields=("kind",)), "p_")
    assert no_error_field({"text": "boom"}) == {"text": "boom"}


def test_conversion_is_memoised_by_result_identity():
    annotate = Annotator(describer({"hit": FOUND}), "p_")
    assert annotate.converted(FOUND) is annotate.converted(FOUND)
    equal_but_other = dict(FOUND)
    assert annotate.converted(equal_but_other) == annotate.converted(FOUND)
    assert annotate.converted(equal_but_other) is not annotate.converted(FOUND)


def test_stale_output_fields_of_an_earlier_run_are_emptied():
    annotate = Annotator(describer({"hit": FOUND}), "p_")
    records = [{"text": "miss", "p_kind": "old"}, {"text": "hit", "p_kind": "old", "p_tags": "old"}]
    out = list(annotate.annotate(records))
    assert out[0] == {"text": "miss", "p_kind": None}
    assert out[1] == {"text": "hit", "p_kind": "k1", "p_tags": ["a", "b"]}


def test_records_without_shadowed_names_are_left_alone():
    annotate = Annotator(describer({}), "p_")
    records = [{"text": "a"}, {"text": "b"}]
    assert list(annotate.annotate(records)) == [{"text": "a"}, {"text": "b"}]


# --- A describer read by value (dtutil's kind): the annotator memoises by the value ----------------

def value_describer(results, fields=("kind", "tags", "error")):
    """A stand-in core module read by value: the first non-blank string of `text`, then `alt`
    (or `field`); `results` maps a value to its non-empty fields. `calls` lists the values read."""
    calls = []

    def source_value(record, field=None):
        for name in (field,) if field else ("text", "alt"):
            value = record.get(name)
            if isinstance(value, list):
                value = next((item for item in value if item.strip()), "")
            if isinstance(value, str) and value.strip():
                if value == "boom":
                    raise ValueError("a describer bug")
                return value
        return ""

    def describe_value(value):
        calls.append(value)
        return results.get(value, {"error": "nothing"})

    def describe(record, field=None):
        full = {name: () if name == "tags" else "" for name in fields}
        full.update(describe_value(source_value(record, field)))
        return full

    return types.SimpleNamespace(describe=describe, source_value=source_value, describe_value=describe_value,
                                 OUTPUT_FIELDS=fields, required_fields=lambda field: [field] if field else ["text", "alt"],
                                 calls=calls)


VALUE_RESULTS = {"a": {"kind": "k1", "tags": ("x", "y")}, "b": {"kind": "k2", "tags": ("z",), "error": "e"}}


def by_result(describer):
    """The same describer without its by-value functions: the annotator's general path."""
    return types.SimpleNamespace(describe=describer.describe, OUTPUT_FIELDS=describer.OUTPUT_FIELDS,
                                 required_fields=describer.required_fields)


def as_written(record):
    """A record as splunklib writes it: a one-value tuple or list is that value, a longer one a list."""
    written = {}
    for name, value in record.items():
        if isinstance(value, (list, tuple)) and name.startswith("p_"):
            value = value[0] if len(value) == 1 else list(value)
        written[name] = value
    return written


RECORDS = [
    {"text": "a"}, {"text": "a"}, {"text": "", "alt": "b"}, {"text": "b"}, {"text": "  ", "alt": "a"},
    {"alt": "a"}, {"text": ["", "b"]}, {"text": "unknown"}, {}, {"text": "a", "alt": "b"}, {"text": None, "alt": "b"},
]


def test_by_value_writes_what_the_general_path_writes():
    fast = Annotator(value_describer(VALUE_RESULTS), "p_")
    general = Annotator(by_result(value_describer(VALUE_RESULTS)), "p_")
    for record in RECORDS:
        assert as_written(fast(dict(record))) == as_written(general(dict(record))), record


def test_by_value_writes_one_value_as_a_string_and_keeps_the_cores_longer_tuples():
    annotate = Annotator(value_describer(VALUE_RESULTS), "p_")
    assert annotate({"text": "a"}) == {"text": "a", "p_kind": "k1", "p_tags": ("x", "y")}
    assert annotate({"text": "b"}) == {"text": "b", "p_kind": "k2", "p_tags": "z", "p_error": "e"}
    assert annotate({}) == {"p_error": "nothing"}
    assert annotate({"text": "a"})["p_tags"] is VALUE_RESULTS["a"]["tags"]  # shared, not copied


def test_a_value_seen_before_is_not_read_again_whichever_field_held_it():
    describer = value_describer(VALUE_RESULTS)
    annotate = Annotator(describer, "p_")
    list(annotate.annotate([{"text": "a"}, {"alt": "a"}, {"text": "a"}, {"text": "", "alt": "a"}, {"text": "b"}]))
    assert describer.calls == ["a", "b"]


def test_a_value_longer_than_the_memo_takes_is_read_every_time():
    describer = value_describer({})
    annotate = Annotator(describer, "p_")
    long_value = "a" * (annotate_module.MEMO_VALUE_LENGTH + 1)
    list(annotate.annotate([{"text": long_value}, {"text": long_value}, {"text": "a"}, {"text": "a"}]))
    assert describer.calls == [long_value, long_value, "a"]


def test_the_value_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(annotate_module, "MEMO_SIZE", 2)
    describer = value_describer(VALUE_RESULTS)
    annotate = Annotator(describer, "p_")
    list(annotate.annotate([{"text": "a"}, {"text": "b"}, {"text": "c"}, {"text": "a"}]))
    assert describer.calls == ["a", "b", "c", "a"]  # full at "c": cleared, "a" read again
    assert len(annotate._by_value) <= 2


def test_by_value_a_failing_describer_never_loses_the_record():
    annotate = Annotator(value_describer(VALUE_RESULTS), "p_")
    out = list(annotate.annotate([{"text": "boom"}, {"text": "a"}]))
    assert out == [{"text": "boom", "p_error": "internal error: ValueError"},
                   {"text": "a", "p_kind": "k1", "p_tags": ("x", "y")}]


def test_by_value_stale_output_fields_are_emptied():
    annotate = Annotator(value_describer(VALUE_RESULTS), "p_")
    out = list(annotate.annotate([{"text": "unknown", "p_kind": "old"}, {"text": "a", "p_kind": "old"}]))
    assert out == [{"text": "unknown", "p_kind": None, "p_error": "nothing"},
                   {"text": "a", "p_kind": "k1", "p_tags": ("x", "y")}]
