"""SPL text to a pipeline of commands: macro expansion as macros.conf.spec says, then parsing with
the lark grammar beside this file (`grammar.lark`).

The result is plain data (the dataclasses below) that `evaluate` runs. Positions are character
offsets in the search as it stands after macro expansion, which is also what Splunk reports in
its own errors (the expanded search).
"""
import functools
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple, Union

import lark

GRAMMAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grammar.lark")


class SplError(Exception):
    """A search that cannot run: a parse error, or a command, function or option that the
    stand-in does not implement. Names what and where (character offset in the expanded search)."""

    def __init__(self, message: str, position: Optional[int] = None) -> None:
        self.position = position
        super().__init__(message if position is None else "%s (at character %d)" % (message, position))


# ---------------------------------------------------------------------------------------------
# Macros: `name` or `name(arg1, arg2)`, the stanza `name(n)` with `args = a, b`; every `$a$` of the
# definition replaced as text, globally, even inside quotes; expanded recursively [macros.conf.spec].

@dataclass(frozen=True)
class Macro:
    name: str  # stanza name without the arity
    args: Tuple[str, ...]
    definition: str


_MACRO_CALL = re.compile(r"`([^`]*)`")
_MAX_MACRO_DEPTH = 50


def macros_from_conf(stanzas: Mapping[str, Mapping[str, str]]) -> Dict[Tuple[str, int], Macro]:
    """macros.conf stanzas (as read by a conf parser) by (name, arity)."""
    result: Dict[Tuple[str, int], Macro] = {}
    for stanza, settings in stanzas.items():
        match = re.fullmatch(r"(.+?)\((\d+)\)", stanza)
        name, arity = (match.group(1), int(match.group(2))) if match else (stanza, 0)
        args = tuple(a.strip() for a in settings.get("args", "").split(",") if a.strip())
        if len(args) != arity:
            raise SplError("macro %s: args names %d arguments, the stanza %d" % (stanza, len(args), arity))
        result[(name, arity)] = Macro(name, args, settings.get("definition", ""))
    return result


def expand_macros(text: str, macros: Mapping[Tuple[str, int], Macro], depth: int = 0) -> str:
    """`text` with every macro call replaced by its definition, recursively."""
    if depth > _MAX_MACRO_DEPTH:
        raise SplError("macro expansion deeper than %d levels (a macro calls itself?)" % _MAX_MACRO_DEPTH)

    def replace(match: "re.Match[str]") -> str:
        call = match.group(1).strip()
        call_match = re.fullmatch(r"([^()\s]+)\s*(?:\((.*)\))?", call, re.S)
        if not call_match:
            raise SplError("malformed macro call `%s`" % call, match.start())
        name, arg_text = call_match.group(1), call_match.group(2)
        # Arguments are separated by commas, so an argument cannot hold one [macros.conf.spec].
        values = [] if arg_text is None else [a.strip() for a in arg_text.split(",")]
        macro = macros.get((name, len(values)))
        if macro is None:
            raise SplError("macro `%s` with %d argument(s) is not defined" % (name, len(values)), match.start())
        body = macro.definition
        for arg, value in zip(macro.args, values):
            body = body.replace("$%s$" % arg, value)
        return expand_macros(body, macros, depth + 1)

    return _MACRO_CALL.sub(replace, text)


# ---------------------------------------------------------------------------------------------
# Strings

def unquote(token: str) -> str:
    """A "..." string as SPL reads it: `\\\\` is one backslash, `\\"` a quote, and any other
    backslash stays as it is (so `"\\d"` reaches a regex as `\\d`) [Search Manual, Backslashes]."""
    body = token[1:-1]
    return re.sub(r'\\([\\"])', r"\1", body)


# ---------------------------------------------------------------------------------------------
# The syntax tree

@dataclass(frozen=True)
class Node:
    position: int


# search expressions
@dataclass(frozen=True)
class SearchTerm(Node):
    text: str
    quoted: bool


@dataclass(frozen=True)
class SearchCompare(Node):
    field: str
    operator: str  # = != < > <= >=
    value: str
    quoted: bool


@dataclass(frozen=True)
class SearchIn(Node):
    field: str
    values: Tuple[Tuple[str, bool], ...]  # (value, quoted)


@dataclass(frozen=True)
class SearchAnd(Node):
    items: Tuple[Node, ...]


@dataclass(frozen=True)
class SearchOr(Node):
    items: Tuple[Node, ...]


@dataclass(frozen=True)
class SearchNot(Node):
    item: Node


# eval expressions
@dataclass(frozen=True)
class Literal(Node):
    value: Union[str, int, float]


@dataclass(frozen=True)
class FieldRef(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: Tuple[Node, ...]


@dataclass(frozen=True)
class BinaryOp(Node):
    operator: str  # OR XOR AND = == != < > <= >= LIKE + - . * / %
    left: Node
    right: Node


@dataclass(frozen=True)
class UnaryOp(Node):
    operator: str  # NOT, -
    operand: Node


# commands
@dataclass(frozen=True)
class Aggregation:
    function: str
    argument: Union[None, str, Node]  # a field name, an eval expression, or None (count)
    alias: Optional[str]

    @property
    def output_name(self) -> str:
        if self.alias:
            return self.alias
        if self.argument is None:
            return self.function
        if isinstance(self.argument, str):
            return "%s(%s)" % (self.function, self.argument)
        return "%s(eval)" % self.function


@dataclass(frozen=True)
class Command(Node):
    name: str
    options: Tuple[Tuple[str, str], ...] = ()
    # per-command payload
    search: Optional[Node] = None  # search
    assignments: Tuple[Tuple[str, Node], ...] = ()  # eval
    condition: Optional[Node] = None  # where
    aggregations: Tuple[Aggregation, ...] = ()  # stats, eventstats
    by: Tuple[str, ...] = ()  # stats, eventstats
    fields: Tuple[str, ...] = ()  # table, fields, dedup, fillnull, mvexpand
    mode: str = ""  # fields +/-, lookup OUTPUT/OUTPUTNEW, regex =/!=
    lookup: str = ""  # lookup table name, savedsearch name
    inputs: Tuple[Tuple[str, str], ...] = ()  # lookup (lookup field, event field)
    outputs: Tuple[Tuple[str, str], ...] = ()  # lookup (lookup field, event field); rename (from, to)
    pattern: str = ""  # rex, regex
    sort_keys: Tuple[Tuple[str, str], ...] = ()  # (order, field)
    count: Optional[int] = None  # head, sort, dedup
    arguments: Tuple[str, ...] = ()  # other commands, raw

    def option(self, name: str, default: Optional[str] = None) -> Optional[str]:
        for key, value in self.options:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class Pipeline:
    text: str  # the expanded search
    commands: Tuple[Command, ...]


# ---------------------------------------------------------------------------------------------
# Parsing

@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    with open(GRAMMAR, encoding="utf-8") as handle:
        return lark.Lark(handle.read(), parser="earley", lexer="dynamic", ambiguity="resolve",
                         propagate_positions=True)


def _pos(item) -> int:
    meta = getattr(item, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.start_pos
    return getattr(item, "start_pos", 0) or 0


def _text(token) -> str:
    if isinstance(token, lark.Token) and token.type == "QUOTED":
        return unquote(str(token))
    return str(token)


class _Build(lark.Transformer):
    """lark's tree to the dataclasses above."""

    # --- search
    def search_expr(self, items):
        items = tuple(items)
        return items[0] if len(items) == 1 else SearchAnd(items[0].position, items)

    def search_or(self, items):
        items = tuple(items)
        return items[0] if len(items) == 1 else SearchOr(items[0].position, items)

    def search_negation(self, items):
        return SearchNot(items[0].position, items[0])

    def quoted_term(self, items):
        return SearchTerm(items[0].start_pos, unquote(str(items[0])), True)

    def bare_term(self, items):
        return SearchTerm(items[0].start_pos, str(items[0]), False)

    def quoted_value(self, items):
        return (unquote(str(items[0])), True)

    def bare_value(self, items):
        return (str(items[0]), False)

    def field_compare(self, items):
        name, operator, (value, quoted) = items
        return SearchCompare(name.start_pos, str(name), str(operator), value, quoted)

    def field_in(self, items):
        name = items[0]
        return SearchIn(name.start_pos, str(name), tuple(items[1:]))

    # --- eval
    def e_number(self, items):
        text = str(items[0])
        value: Union[int, float] = int(text) if re.fullmatch(r"\d+", text) else float(text)
        return Literal(items[0].start_pos, value)

    def e_string(self, items):
        return Literal(items[0].start_pos, unquote(str(items[0])))

    def field_ref(self, items):
        return FieldRef(items[0].start_pos, str(items[0]))

    def quoted_field_ref(self, items):
        return FieldRef(items[0].start_pos, str(items[0])[1:-1])

    def function_call(self, items):
        name = items[0]
        args = tuple(a for a in items[1:] if a is not None)
        return Call(name.start_pos, str(name), args)

    def _binary(self, operator, items):
        left, right = items[0], items[-1]
        return BinaryOp(left.position, operator, left, right)

    def e_or(self, items):
        return self._binary("OR", items)

    def e_xor(self, items):
        return self._binary("XOR", items)

    def e_and(self, items):
        return self._binary("AND", items)

    def e_like(self, items):
        return self._binary("LIKE", items)

    def e_compare(self, items):
        return BinaryOp(items[0].position, str(items[1]), items[0], items[2])

    def e_arith(self, items):
        return BinaryOp(items[0].position, str(items[1]), items[0], items[2])

    def e_not(self, items):
        return UnaryOp(items[0].position, "NOT", items[0])

    def e_negate(self, items):
        return UnaryOp(items[0].position, "-", items[0])

    # --- pieces of commands
    def command_option(self, items):
        return ("option", str(items[0]), _text(items[1]))

    def assignment(self, items):
        target = items[0]
        return ("assign", target.name, items[1])

    def aggregation(self, items):
        argument = next((i[1] for i in items[1:] if i[0] == "argument"), None)
        alias = next((i[1] for i in items[1:] if i[0] == "alias"), None)
        return Aggregation(str(items[0]), argument, alias)

    def aggregate_call(self, items):
        argument = items[0]
        return ("argument", str(argument) if isinstance(argument, lark.Token) else argument)

    def aggregate_alias(self, items):
        return ("alias", str(items[0]))

    def evaluated_arg(self, items):
        return items[0]

    def by_clause(self, items):
        return ("by", tuple(str(i) for i in items))

    def lookup_field(self, items):
        name = str(items[0])
        return (name, str(items[1]) if len(items) > 1 else name)

    def field_list(self, items):
        return ("fields", tuple(str(i) for i in items))

    def rename_pair(self, items):
        return (str(items[0]), str(items[1]))

    def sort_key(self, items):
        if len(items) == 2:
            return (str(items[0]), str(items[1]))
        return ("+", str(items[0]))


def _options(items) -> Tuple[Tuple[str, str], ...]:
    return tuple((i[1], i[2]) for i in items if isinstance(i, tuple) and i and i[0] == "option")


def _command(tree: lark.Tree) -> Command:
    kind = tree.data
    position = _pos(tree)
    items = tree.children
    options = _options(items)
    if kind in ("head_search", "search_cmd"):
        expr = items[0] if items else None
        return Command(position, "search", search=expr, mode="head" if kind == "head_search" else "")
    if kind == "eval_cmd":
        return Command(position, "eval", assignments=tuple((i[1], i[2]) for i in items))
    if kind == "where_cmd":
        return Command(position, "where", condition=items[0])
    if kind in ("stats_cmd", "eventstats_cmd"):
        aggregations = tuple(i for i in items if isinstance(i, Aggregation))
        by = next((i[1] for i in items if isinstance(i, tuple) and i and i[0] == "by"), ())
        return Command(position, kind[:-4], options=options, aggregations=aggregations, by=by)
    if kind == "lookup_cmd":
        rest = [i for i in items if not (isinstance(i, tuple) and i and i[0] == "option")]
        table = str(rest[0])
        inputs: List[Tuple[str, str]] = []
        outputs: List[Tuple[str, str]] = []
        mode = ""
        for item in rest[1:]:
            if isinstance(item, lark.Token) and item.type == "OUTPUT_MODE":
                mode = str(item)
            elif mode:
                outputs.append(item)
            else:
                inputs.append(item)
        return Command(position, "lookup", options=options, lookup=table, inputs=tuple(inputs),
                       outputs=tuple(outputs), mode=mode or "OUTPUT_ALL")
    if kind == "rex_cmd":
        pattern = next(unquote(str(i)) for i in items if isinstance(i, lark.Token) and i.type == "QUOTED")
        return Command(position, "rex", options=options, pattern=pattern)
    if kind == "regex_cmd":
        if len(items) == 3:
            return Command(position, "regex", fields=(str(items[0]),), mode=str(items[1]), pattern=unquote(str(items[2])))
        return Command(position, "regex", fields=("_raw",), mode="=", pattern=unquote(str(items[0])))
    if kind == "table_cmd":
        return Command(position, "table", fields=items[0][1])
    if kind == "fields_cmd":
        mode = str(items[0]) if len(items) == 2 else "+"
        return Command(position, "fields", mode=mode, fields=items[-1][1])
    if kind == "rename_cmd":
        return Command(position, "rename", outputs=tuple(items))
    if kind == "sort_cmd":
        count = int(items[0]) if isinstance(items[0], lark.Token) and items[0].type == "INT" else None
        keys = tuple(i for i in items if isinstance(i, tuple))
        return Command(position, "sort", count=count, sort_keys=keys)
    if kind == "dedup_cmd":
        count = int(items[0]) if isinstance(items[0], lark.Token) and items[0].type == "INT" else None
        names = tuple(str(i) for i in items if isinstance(i, lark.Token) and i.type == "FIELD_WORD")
        return Command(position, "dedup", options=options, count=count, fields=names)
    if kind == "head_cmd":
        return Command(position, "head", count=int(items[0]) if items else 10)
    if kind == "fillnull_cmd":
        names = tuple(str(i) for i in items if isinstance(i, lark.Token))
        return Command(position, "fillnull", options=options, fields=names)
    if kind == "makeresults_cmd":
        return Command(position, "makeresults", options=options)
    if kind == "mvexpand_cmd":
        return Command(position, "mvexpand", options=options, fields=(str(items[0]),))
    if kind == "savedsearch_cmd":
        return Command(position, "savedsearch", options=options, lookup=_text(items[0]))
    if kind == "custom_cmd":
        return Command(position, str(items[0]), options=options)
    if kind == "other_cmd":
        return Command(position, str(items[0]), arguments=tuple(str(i) for i in items[1:]))
    raise SplError("internal: no builder for %s" % kind, position)


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Pipeline:
    """The pipeline of an expanded search. Raises SplError naming the position on a syntax
    error or an unknown command."""
    if "`" in text:
        position = text.index("`")
        raise SplError("unexpanded macro call", position)
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        found = text[error.pos_in_stream:error.pos_in_stream + 30] if error.pos_in_stream is not None else ""
        hint = ""
        command_start = text.rfind("|", 0, (error.pos_in_stream or 0) + 1)
        if command_start >= 0:
            name = re.match(r"\|\s*([A-Za-z_]\w*)", text[command_start:])
            if name:
                hint = " in command %r" % name.group(1)
        position = error.pos_in_stream
        if position is None or position < 0:  # lark's UnexpectedEOF: the search ended too soon
            position, found = len(text), "the end of the search"
        raise SplError("syntax error%s near %r" % (hint, found), position) from None
    built = _Build().transform(tree)
    pipeline_tree = built.children[0]
    commands = tuple(_command(child) for child in pipeline_tree.children)
    return Pipeline(text, commands)
