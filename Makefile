PYTHON ?= python3
export PYTHON

.PHONY: install quickstart test

install:
	bash scripts/install.sh

# Train the quickstart hourglass on synthetic people, evaluate, draw pictures.
quickstart: install
	$(PYTHON) tools/quickstart.py

test: install
	$(PYTHON) -m pytest -q tests
