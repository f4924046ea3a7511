PYTHON ?= python3
export PYTHON

.PHONY: install quickstart test test-quick test-upstream

install:
	bash scripts/install.sh

# Train the quickstart hourglass on synthetic people, evaluate, draw pictures.
# Threads: min(2, cores) unless THREADS=N (make quickstart THREADS=1).
THREADS ?=
quickstart: install
	$(PYTHON) tools/quickstart.py $(if $(THREADS),--threads $(THREADS))

test: install
	$(PYTHON) -m pytest -q tests

# The same without the end-to-end runs marked slow (train + evaluate + draw).
test-quick: install
	$(PYTHON) -m pytest -q -m 'not slow' tests

# Conformance with MMPose 1.3 (tests/upstream, docs/UPSTREAM.md): builds a
# scratch venv OUTSIDE the repo with MMPose 1.3.2 (scripts/upstream_venv.sh;
# never touches this python or the kp_ext install) and runs the tests there
# with this checkout on PYTHONPATH.
UPSTREAM_VENV ?= /tmp/kp_ext-upstream-venv
test-upstream:
	bash scripts/upstream_venv.sh $(UPSTREAM_VENV)
	cd $(CURDIR) && PYTHONPATH=$(CURDIR) OMP_NUM_THREADS=1 \
		$(UPSTREAM_VENV)/bin/python -m pytest -q -rxs tests/upstream \
		tests/codecs/test_codec_contract.py \
		tests/codecs/test_codec_registry_link.py \
		tests/models/test_scoped_defaults.py
