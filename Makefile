# Harbor & Pine assistant. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first candidate that really runs Python 3.10 (a pyenv shim on PATH may exist but fail).
PYTHON310 ?= $(shell for p in $$(command -v python3.10) $$HOME/.pyenv/versions/3.10.*/bin/python3.10 /root/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
RASA_PORT    ?= 5005
ACTIONS_PORT ?= 5055
SITE_PORT    ?= 8080
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

# Secrets: from the environment, else generated once into the git-ignored runtime directory.
RUNTIME_DIR ?= runtime
SECRETS := $(RUNTIME_DIR)/secrets.mk
SITE_ORIGIN ?= http://localhost:$(SITE_PORT)
-include $(SECRETS)
export RASA_AUTH_TOKEN IDENTITY_SECRET ACTION_SERVER_TOKEN

# Rasa logs go through the PII-masking filter (services/log_masking.py).
RASA_LOGGING := --logging-config-file services/logging.yml

EMOTION_MODEL := models/emotion/config.json
RECOMMENDER_MODEL := models/recommender/model.npz
RASA_MODEL := models/assistant.tar.gz
KNOWLEDGE_INDEX := models/knowledge/index.json
EMOTION_SPLITS := data/emotion/train.csv data/emotion/dev.csv data/emotion/test.csv data/emotion/ambiguous.csv

.PHONY: help install seed reseed train emotion-data emotion-train emotion-eval emotion-compare recommender-train recommender-eval \
        lookups run actions shell webchat webchat-optional test lint bench handback token identity-secret browser telegram-webhook interactive promtool alerts-check knowledge-index knowledge-eval \
        reviews-report reviews-eval analytics run-prod load faults bench-throughput nginx \
        label emotion-retrain emotion-restore nlu-cv clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install: $(INSTALLED)  ## build .venv with Python 3.10 from requirements.lock
$(INSTALLED): requirements.lock
	@if [ -z "$(PYTHON310)" ]; then echo "error: Python 3.10 not found. Rasa 3.6 needs Python 3.10: put python3.10 on PATH or install it with 'pyenv install 3.10.13' (or set PYTHON310=/path/to/python3.10)." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	@# Keep the venv's own pip (23.0): lightfm 1.17's setup.py fails in PEP 517 isolated builds,
	@# so it is built first the legacy way, then everything else from the lock.
	$(PY) -m pip install --quiet --no-use-pep517 lightfm==1.17
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip check
	@touch $@

$(SECRETS):
	@mkdir -p $(RUNTIME_DIR)
	@$(or $(PYTHON310),python3) -c 'import runpy,sys; sys.argv=["", "$(SECRETS)"]; runpy.run_path("services/secrets_file.py", run_name="__main__")'

token: $(SECRETS)  ## print the HTTP API token (curl "localhost:5005/conversations/ID/tracker?token=$$(make -s token)")
	@echo "$(RASA_AUTH_TOKEN)"

identity-secret: $(SECRETS)  ## print the identity signing secret (what a store backend signs customer ids with)
	@echo "$(IDENTITY_SECRET)"

seed: $(INSTALLED)  ## create/upgrade the store database and fill it once (keeps tickets)
	$(PY) -m services.store.seed.run

reseed: $(INSTALLED)  ## wipe the store database (tickets too) and fill it again
	$(PY) -m services.store.seed.run --reset

lookups: $(INSTALLED)  ## regenerate data/nlu/lookups.yml from the catalogue
	$(PY) -m services.store.seed.lookups

emotion-data: $(INSTALLED)  ## write the emotion train/dev/test splits from data/emotion/authored
	$(PY) -m components.emotion.data

$(EMOTION_MODEL): $(EMOTION_SPLITS) components/emotion/train.py | $(INSTALLED)
	$(PY) -m components.emotion.train --output_dir models/emotion

emotion-train: $(EMOTION_MODEL)  ## fine-tune the emotion classifier (2 epochs, about 15 minutes on 2 cores)

emotion-eval: $(EMOTION_MODEL)  ## per-class P/R/F1 on the test split and real text, fine-tuned model vs TF-IDF baseline
	$(PY) -m components.emotion.evaluate

emotion-compare: $(EMOTION_SPLITS) | $(INSTALLED)  ## train every candidate emotion model and print the comparison table (about 40 min)
	$(PY) -m components.emotion.compare --output_dir models/compare

label: seed  ## confirm or relabel the emotion readings queued for review (writes data/emotion/feedback/*.jsonl)
	$(PY) -m services.learning.label_cli

emotion-retrain: $(EMOTION_SPLITS) | $(INSTALLED)  ## fine-tune on authored data + feedback; promote only if macro-F1 drops <= 0.5 points (models/emotion_registry.json)
	$(PY) -m services.learning.retrain

emotion-restore: $(INSTALLED)  ## serve the emotion model from before the last promotion (--list: history)
	$(PY) -m services.learning.restore

$(RECOMMENDER_MODEL): $(wildcard services/recommender/*.py) | $(INSTALLED)
	$(MAKE) --no-print-directory seed
	$(PY) -m services.recommender.train --final

$(KNOWLEDGE_INDEX): $(wildcard data/knowledge/*.md) data/knowledge/eval.yml $(wildcard services/knowledge/*.py) | $(INSTALLED)
	$(PY) -m services.knowledge.build_index

knowledge-index: $(KNOWLEDGE_INDEX)  ## embed the policy documents (data/knowledge) and calibrate the "I don't know" threshold
knowledge-eval: $(KNOWLEDGE_INDEX)  ## recall@1/@3, answer accuracy, abstention: MiniLM retriever vs BM25 on data/knowledge/eval.yml
	$(PY) -m services.knowledge.evaluate

recommender-train: $(RECOMMENDER_MODEL)  ## train the LightFM recommender on the store database

recommender-eval: $(RECOMMENDER_MODEL)  ## precision/recall/AUC vs popularity and random baselines
	$(PY) -m services.recommender.evaluate

train: $(EMOTION_MODEL) $(RECOMMENDER_MODEL) $(KNOWLEDGE_INDEX)  ## train everything (Rasa skips what has not changed)
	$(RASA) train --fixed-model-name assistant --out models

actions: seed $(RECOMMENDER_MODEL) $(KNOWLEDGE_INDEX) $(SECRETS)  ## run the action server alone (127.0.0.1, shared secret)
	$(PY) -m services.action_server --port $(ACTIONS_PORT)

run: train seed webchat-optional $(SECRETS)  ## action server, Rasa server (REST, socket.io, HTTP API with a token) and the site; Ctrl-C stops all
	@$(PY) -m demo_site.desk.accounts create-demo
	@$(PY) -m services.action_server --port $(ACTIONS_PORT) & actions_pid=$$!; \
	$(PY) -m demo_site.app --port $(SITE_PORT) --rasa-url http://localhost:$(RASA_PORT) & site_pid=$$!; \
	$(PY) -m services.analytics.consumer --source sql >$(RUNTIME_DIR)/analytics.log 2>&1 & analytics_pid=$$!; \
	email_pid=; \
	if [ -n "$(EMAIL_LISTEN_PORT)" ] && [ -n "$(EMAIL_SMTP_HOST)" ]; then \
	    EMAIL_LISTEN_PORT="$(EMAIL_LISTEN_PORT)" EMAIL_SMTP_HOST="$(EMAIL_SMTP_HOST)" RASA_URL="$${RASA_URL:-http://127.0.0.1:$(RASA_PORT)}" \
	        $(PY) -m channels.email_gateway & email_pid=$$!; \
	    echo "Email gateway on 127.0.0.1:$(EMAIL_LISTEN_PORT) (replies via $(EMAIL_SMTP_HOST)); see docs/email.md"; \
	fi; \
	trap 'kill $$actions_pid $$site_pid $$analytics_pid $$email_pid 2>/dev/null; wait $$actions_pid $$site_pid $$analytics_pid $$email_pid 2>/dev/null' EXIT INT TERM; \
	echo "Assistant on http://localhost:$(RASA_PORT) (REST: /webhooks/rest/webhook); web chat on $(SITE_ORIGIN)/ (as a demo customer: $(SITE_ORIGIN)/?customer=C-1001)"; \
	echo "Agent desk on $(SITE_ORIGIN)/desk (user demo-agent), dashboard on $(SITE_ORIGIN)/dashboard; analytics consumer log: $(RUNTIME_DIR)/analytics.log"; \
	echo "HTTP API token (from the environment or $(SECRETS)): $(RASA_AUTH_TOKEN)"; \
	$(PY) -m channels.enabled $(RUNTIME_DIR)/credentials.yml; \
	$(PY) -m services.rasa_launcher run --model $(RASA_MODEL) --enable-api --auth-token "$(RASA_AUTH_TOKEN)" --cors "$(SITE_ORIGIN)" --port $(RASA_PORT) \
	    --credentials $(RUNTIME_DIR)/credentials.yml --endpoints endpoints.yml $(RASA_LOGGING)

shell: $(INSTALLED) $(SECRETS)  ## rasa shell on its own port, using the action server of `make run` (or `make actions`)
	@test -f $(RASA_MODEL) || (echo "no trained model: run 'make train' (or 'make run' in another terminal)" >&2; exit 1)
	$(RASA) shell --model $(RASA_MODEL) --endpoints endpoints.yml --port $$(( $(RASA_PORT) + 1 )) $(RASA_LOGGING)

telegram-webhook: $(INSTALLED)  ## point Telegram's webhook at TELEGRAM_WEBHOOK_URL with TELEGRAM_SECRET_TOKEN (docs/telegram.md)
	$(PY) -m channels.telegram_webhook

interactive: $(INSTALLED) $(SECRETS)  ## rasa interactive on its own port, using the action server of `make run` (or `make actions`)
	@test -f $(RASA_MODEL) || (echo "no trained model: run 'make train'" >&2; exit 1)
	$(RASA) interactive --model $(RASA_MODEL) --endpoints endpoints.yml --port $$(( $(RASA_PORT) + 2 )) --skip-visualization $(RASA_LOGGING)

analytics: seed  ## the analytics consumer alone: Rasa's SQL event broker (runtime/events.db) into the dashboard's tables
	$(PY) -m services.analytics.consumer --source sql

reviews-report: seed $(EMOTION_MODEL)  ## review sentiment per product and aspect, week-over-week surges, a PNG per product (results/reviews)
	$(PY) -m services.analytics.reviews_report

reviews-eval: $(EMOTION_MODEL) | $(INSTALLED)  ## aspect detection and aspect polarity against the hand-labelled review sentences
	$(PY) -m services.analytics.reviews.evaluation

run-prod: train nginx $(SECRETS)  ## production topology on this machine: PostgreSQL trackers, Redis locks, RabbitMQ events, 2 Rasa + 2 action servers behind nginx on :5080
	$(PY) -m ops.run_prod

LOAD_USERS ?= 1000
LOAD_TURNS ?= 10
load: train nginx $(SECRETS)  ## Locust through nginx: LOAD_USERS conversations x LOAD_TURNS turns, then every message checked in the tracker store
	$(PY) bench/load.py --users $(LOAD_USERS) --turns $(LOAD_TURNS)

faults: train nginx $(SECRETS)  ## each fault under load (Rasa kill -9, action servers killed, Redis restart, pg_terminate_backend, RabbitMQ stop)
	$(PY) bench/faults.py

nlu-cv: $(INSTALLED)  ## rasa test nlu --cross-validation (3 folds, intent/entity pipeline only; about 30 min), reports in results/nlu_cv
	$(PY) bench/nlu_cross_validation.py --folds 3

bench-throughput: train seed  ## our embedded default against Rasa's starter bot in the same run (msg/s, p95, ratio; with the time breakdown)
	$(PY) bench/throughput.py --profile

handback: $(INSTALLED) $(SECRETS)  ## an agent hands SENDER's conversation back to the bot
	@test -n "$(SENDER)" || (echo "usage: make handback SENDER=<conversation id>" >&2; exit 2)
	$(PY) -m services.handback_cli "$(SENDER)" --url http://localhost:$(RASA_PORT)

lint: $(INSTALLED)  ## ruff, rasa data validate
	$(VENV)/bin/ruff check actions channels components demo_site services ops tests bench
	$(RASA) data validate

promtool:  ## install Debian's prometheus package for promtool (alert-rule tests)
	@command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	@command -v promtool >/dev/null || { echo "promtool missing: install Debian's prometheus package" >&2; exit 1; }

alerts-check: promtool  ## promtool checks and unit tests of ops/prometheus/alerts.yml
	promtool check rules ops/prometheus/alerts.yml
	cd ops/prometheus && promtool test rules alerts_test.yml

browser:  ## install Debian's chromium for the browser tests (Playwright drives it; no browser download)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "chromium missing: install Debian's chromium package" >&2; exit 1; }

nginx:  ## install Debian's nginx (the load balancer of make run-prod)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

test: train seed lint webchat browser promtool nginx  ## everything: unit and database tests, rasa test stories, end-to-end over REST and in Chromium
	@# Sanic 21.12 patches its HTTP classes for the first app served in a process, so the Slack and Telegram
	@# channel unit tests (each serves a real Sanic app) run in separate pytest processes.
	$(VENV)/bin/pytest -q tests/channels/test_slack.py
	$(VENV)/bin/pytest -q --durations=30 --ignore=tests/channels/test_slack.py  # the 30 slowest tests: where CI time goes

bench: $(EMOTION_MODEL) $(RECOMMENDER_MODEL)  ## latency benchmarks (figures, not pass/fail)
	$(PY) bench/emotion_latency.py
	$(PY) bench/recommend_latency.py

clean:  ## remove trained models, the runtime database and caches (not .venv)
	rm -rf models/emotion models/recommender models/knowledge models/*.tar.gz runtime results .pytest_cache .rasa

WEBCHAT_CLIENT := demo_site/node_modules/socket.io-client/dist/socket.io.min.js
webchat: $(WEBCHAT_CLIENT)  ## install the web chat's socket.io client (npm; demo_site/package.json)
$(WEBCHAT_CLIENT): demo_site/package.json demo_site/package-lock.json
	npm ci --prefix demo_site --no-audit --no-fund --silent
	@touch $@

webchat-optional:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory webchat; else echo "npm not found: the web chat page needs 'make webchat' (REST and shell work without it)"; fi
