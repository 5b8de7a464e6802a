"""Log formatting that keeps personal data out of the logs.

Exception messages can quote values (a database error's failing row, a validation
error's input), so tracebacks are logged with their frames and the exception's type,
never its message. Celery's task-failure line, which repeats the exception, gets the
same treatment.
"""

import logging
import traceback


def _type_name(exc_type: type) -> str:
    return f"{exc_type.__module__}.{exc_type.__qualname__}"


class RedactingFormatter(logging.Formatter):
    def formatException(self, ei) -> str:
        exc_type, _exc, tb = ei
        frames = "".join(traceback.format_tb(tb))
        return (
            f"Traceback (most recent call last):\n{frames}{_type_name(exc_type)} (message withheld)"
        )


class RedactTaskErrorFilter(logging.Filter):
    """Replace the exception in Celery's "Task ... raised unexpected: ..." line."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict) and isinstance(args.get("exc"), BaseException | str):
            exc = args["exc"]
            name = _type_name(type(exc)) if isinstance(exc, BaseException) else "error"
            record.args = {**args, "exc": f"{name} (message withheld)"}
        return True
