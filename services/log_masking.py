"""Personal data masked out of log records (``services.pii``), for the action server and Rasa.

The action server calls :func:`install_log_masking` after configuring logging. Rasa reads
``services/logging.yml`` (``rasa run --logging-config-file services/logging.yml``), whose root
handler carries :class:`PiiMaskingFilter`. A handler filter only sees the handlers it is attached
to, so both also mask every record when it is created: Sanic's own handlers, which it installs
after Rasa read the file, get masked records as well.
"""

from __future__ import annotations

import logging

from services.pii import mask_text

_MASKED_FLAG = "_pii_masked"
# Attributes every LogRecord has; other string attributes are `extra=` fields (e.g. Sanic's access-log `request`).
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", _MASKED_FLAG}
_FORMATTER = logging.Formatter()


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ``record`` in place: message with its arguments, exception and stack text, string extras."""
    if getattr(record, _MASKED_FLAG, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: keep what there is, masked
        message = f"{record.msg} {record.args}"
    record.msg, record.args = mask_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = _FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    for name, value in vars(record).items():
        if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
            setattr(record, name, mask_text(value))
    setattr(record, _MASKED_FLAG, True)
    return record


class PiiMaskingFilter(logging.Filter):
    """A handler filter that masks emails, phones, addresses and card numbers; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _install_record_factory() -> None:
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MASKED_FLAG, False):
        return

    def masking_factory(*args, **kwargs) -> logging.LogRecord:
        return mask_record(factory(*args, **kwargs))

    setattr(masking_factory, _MASKED_FLAG, True)
    logging.setLogRecordFactory(masking_factory)


def masking_filter(everywhere: bool = True) -> PiiMaskingFilter:
    """The filter for a ``logging.config`` file (``()`` factory); ``everywhere`` also masks records at creation."""
    if everywhere:
        _install_record_factory()
    return PiiMaskingFilter()


def install_log_masking() -> None:
    """Mask every record from now on: the filter on every existing handler, and at record creation."""
    _install_record_factory()
    loggers = [logging.getLogger(), *(lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
                handler.addFilter(PiiMaskingFilter())
