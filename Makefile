PYTHON ?= python3
export PYTHON

.PHONY: install quickstart test test-quick

install:
	bash scripts/install.sh

# Train the quickstart hourglass on synthetic people, evaluate, draw pictures.
quickstart: install
	$(PYTHON) tools/quickstart.py

test: install
	$(PYTHON) -m pytest -q tests

# The same without the end-to-end runs marked slow (train + evaluate + draw).
test-quick: install
	$(PYTHON) -m pytest -q -m 'not slow' tests
