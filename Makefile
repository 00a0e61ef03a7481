# OCPP Certify. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: setup run test fuzz octt lint format bench clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

## Start the lab on 127.0.0.1:$(PORT) (daphne, diagnostics FTP, one simulated charger).
run: setup
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py ensure_admin
	$(PY) manage.py runlab --port $(PORT)

## Run every test; skipped ones say why (-rs).
test: setup
	$(PY) -m pytest

## Generated charger behaviour, longer than `make test` runs it (new examples each time).
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} FUZZ_STEPS=$${FUZZ_STEPS:-80} FUZZ_FAULT_EXAMPLES=$${FUZZ_FAULT_EXAMPLES:-60} \
		$(PY) -m pytest -p no:randomly tests/certify/test_generated_behaviour.py

## The OCTT 1.6 catalogue against the simulator: every profile, Core's 48 cases included, and every
## legal simulator variant over the cases its behaviour touches (some 25 minutes).
octt: setup
	OCTT_CORE=1 OCTT_VARIANTS=1 $(PY) -m pytest -p no:randomly tests/certify/test_octt16_profiles.py tests/certify/test_octt16_variants.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Benchmarks print a table of figures (ours, baseline, ratio).
bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) var
