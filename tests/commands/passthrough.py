"""passthrough: a splunklib streaming command that returns every record unchanged.

Never shipped: the harness places it beside the built app's lib/ to prove itself on it, and the
benchmarks use it as the floor any splunklib command stands on. `fields=a,b` makes it declare
required_fields as the app's commands do, for a like-for-like narrowed baseline; `empty=x,y`
makes it write those fields, empty, on every record (registered as the app's commands register
their output fields): the floor for a command that must output that many fields.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from splunklib.searchcommands import Configuration, Option, StreamingCommand, dispatch, validators  # noqa: E402


@Configuration(distributed=True)
class PassthroughCommand(StreamingCommand):
    fields = Option(require=False, validate=validators.List())
    empty = Option(require=False, validate=validators.List())

    def prepare(self):
        if self.fields:
            self.configuration.required_fields = list(self.fields)
        if self.empty:
            self.gen_record(**dict.fromkeys(self.empty))

    def stream(self, records):
        for record in records:
            yield record


if __name__ == "__main__":
    dispatch(PassthroughCommand, sys.argv, sys.stdin, sys.stdout, __name__)
