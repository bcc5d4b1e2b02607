"""Log records lose their personal data: through the filter, after installation, and through Rasa's own logging set-up."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from services.log_masking import PiiMaskingFilter, install_log_masking, mask_record
from services.settings import PROJECT_ROOT

LOGGING_YML = PROJECT_ROOT / "services" / "logging.yml"


def capture_handler() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    return handler, stream


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("tests.privacy.masking")
    log.propagate, log.level = False, logging.INFO
    yield log
    log.handlers.clear()


def test_filter_masks_message_arguments_exception_and_extras(logger: logging.Logger) -> None:
    handler, stream = capture_handler()
    handler.addFilter(PiiMaskingFilter())
    logger.addHandler(handler)
    logger.info("user said %r for order %s", "mail alice@example.com, call 503-555-0123", 100234)
    try:
        raise ValueError("card 4111 1111 1111 1111 rejected")
    except ValueError:
        logger.exception("payment for %s failed", "12 Harbour St, Portland, OR 97201")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("bob@example.com",), None)
    record.request = "GET /conversations/bob@example.com/tracker"
    PiiMaskingFilter().filter(record)

    out = stream.getvalue()
    assert "user said 'mail [EMAIL], call [PHONE]' for order 100234" in out
    assert "payment for [ADDRESS] failed" in out
    assert "ValueError: card [CARD] rejected" in out and "Traceback" in out
    for secret in ("alice@example.com", "503-555-0123", "4111 1111 1111 1111", "12 Harbour St"):
        assert secret not in out
    assert (record.getMessage(), record.request) == ("[EMAIL]", "GET /conversations/[EMAIL]/tracker")


def test_filter_keeps_records_it_cannot_format(logger: logging.Logger) -> None:
    handler, stream = capture_handler()
    handler.addFilter(PiiMaskingFilter())
    logger.addHandler(handler)
    logger.info("two placeholders %s %s", "alice@example.com")  # one argument missing
    assert "[EMAIL]" in stream.getvalue() and "alice@example.com" not in stream.getvalue()


def test_unfiltered_handler_leaks_so_the_filter_is_what_masks(logger: logging.Logger) -> None:
    handler, stream = capture_handler()
    logger.addHandler(handler)
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "mail %s", ("alice@example.com",), None)
    handler.handle(record)
    assert "alice@example.com" in stream.getvalue()
    assert mask_record(record).getMessage() == "mail [EMAIL]"


def test_install_masks_existing_handlers_and_handlers_added_later(logger: logging.Logger) -> None:
    before, before_stream = capture_handler()
    logger.addHandler(before)
    factory = logging.getLogRecordFactory()
    try:
        install_log_masking()
        assert any(isinstance(f, PiiMaskingFilter) for f in before.filters)
        later, later_stream = capture_handler()  # like Sanic's handlers, created after the set-up
        logger.addHandler(later)
        logger.warning("shopper %s at %s", "+44 20 7946 0958", "221B Baker Street")
    finally:
        logging.setLogRecordFactory(factory)
    assert before_stream.getvalue() == later_stream.getvalue() == "WARNING shopper [PHONE] at [ADDRESS]\n"


# The order of `rasa run`: rasa.__main__ applies --logging-config-file, installs coloredlogs and
# structlog; `--enable-api` creates Sanic("rasa_server") (Sanic's dictConfig and handlers); then
# serve_application sets Sanic's log levels. Records then come from Rasa, structlog and Sanic.
RASA_LOGGING_SEQUENCE = """
import logging, sys
from rasa.utils.common import configure_logging_and_warnings, update_sanic_log_level
from rasa.utils.io import configure_colored_logging
from rasa.utils.log_utils import configure_structlog
config = sys.argv[1] if len(sys.argv) > 1 else None
configure_logging_and_warnings(None, config, warn_only_once=True, filter_repeated_logs=True)
configure_colored_logging(None)
configure_structlog(None)
from sanic import Sanic
Sanic("rasa_server")
update_sanic_log_level()
logging.getLogger("rasa.core.processor").info("Received user message 'mail %s' with intent 'inform'", "alice@example.com")
import structlog
structlog.get_logger().info("processor.message", user_text="call me on 503-555-0123")
from sanic.log import error_logger
try:
    raise KeyError("card 4111 1111 1111 1111")
except KeyError:
    error_logger.exception("Exception occurred while handling uri: %s", "http://x/webhooks/rest/webhook?to=12 Harbour St")
"""
SECRETS = ("alice@example.com", "503-555-0123", "4111 1111 1111 1111", "12 Harbour St")


def run_rasa_logging(*config: str) -> str:
    result = subprocess.run([sys.executable, "-c", RASA_LOGGING_SEQUENCE, *config], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
                                                         "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_rasa_with_the_logging_config_file_masks_rasa_structlog_and_sanic_records() -> None:
    out = run_rasa_logging(str(LOGGING_YML))
    assert "Received user message 'mail [EMAIL]'" in out
    assert "call me on [PHONE]" in out
    assert "KeyError: 'card [CARD]'" in out and "webhook?to=[ADDRESS]" in out
    leaked = [s for s in SECRETS if s in out]
    assert not leaked, out[-3000:]


def test_rasa_without_the_file_leaks_the_same_records() -> None:
    out = run_rasa_logging()
    assert all(s in out for s in SECRETS), out[-3000:]
