"""lotl.annotate: how a describer's result is laid onto search records."""
import types

import pytest

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
