"""Progress of long management commands: a bar with counts, rate and time left on a
terminal (tqdm); nothing on a pipe or in a log, where the command prints one summary
line instead. Commands that use it can be interrupted (Ctrl-C) and run again: each step
they take is whole, and a second run only does what the first did not."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm


class Progress:
    """How far a command is: ``update(n)`` after each ``n`` items done."""

    def __init__(self, bar: tqdm) -> None:
        self.bar = bar
        self.done = 0

    def update(self, count: int = 1) -> None:
        self.done += count
        self.bar.update(count)


@contextmanager
def progress(command: BaseCommand, *, total: int, what: str) -> Iterator[Progress]:
    """A bar over ``total`` ``what`` (e.g. "dossiers"), on the command's error stream
    when it is a terminal. An interruption stops the command with a line saying how far
    it got and that running it again finishes the job."""
    stream = getattr(command.stderr, "_out", sys.stderr)
    terminal = getattr(stream, "isatty", lambda: False)()
    bar = tqdm(total=total, unit=f" {what}", file=stream, disable=not terminal)
    tracker = Progress(bar)
    try:
        yield tracker
    except KeyboardInterrupt:
        raise CommandError(
            f"Interrupted after {tracker.done} of {total} {what}. Everything done so far is "
            "whole; run the command again to finish (nothing is done twice).",
            returncode=130,
        ) from None
    finally:
        bar.close()
