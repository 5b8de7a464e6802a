import logging

from institute.logging import RedactingFormatter, RedactTaskErrorFilter

SECRET = "Failing row contains (lotte@example.invalid)"


def _record(msg: str = "boom", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, None, exc_info)


def test_tracebacks_keep_frames_and_type_but_withhold_the_message():
    try:
        raise ValueError(SECRET)
    except ValueError:
        import sys

        record = _record(exc_info=sys.exc_info())
    text = RedactingFormatter("%(message)s").format(record)
    assert "builtins.ValueError (message withheld)" in text
    assert "test_logging.py" in text
    assert "lotte@example.invalid" not in text


def test_celery_task_failure_line_withholds_the_exception_text():
    record = _record(msg="Task %(name)s[%(id)s] raised unexpected: %(exc)s")
    record.args = {"name": "t", "id": "1", "exc": ValueError(SECRET)}
    assert RedactTaskErrorFilter().filter(record)
    assert "lotte@example.invalid" not in record.getMessage()
    assert "ValueError" in record.getMessage()
