# The README's two commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE ?= resources/samples/astronaut.jpg

.PHONY: run test bench clean-venv dist dist-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"

# Reinstall only when the pins or the package metadata change.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cropstudio-gui $(SAMPLE)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m tests.bench.rect
	$(BIN)/python -m tests.bench.pipeline
	$(BIN)/python -m tests.bench.cropsets ../shared/data/fcdb_train/images
	OMP_NUM_THREADS=1 $(BIN)/python -m tests.bench.retrieval
	OMP_NUM_THREADS=1 $(BIN)/python -m tests.bench.suggest
	OMP_NUM_THREADS=1 $(BIN)/python -m tests.bench.dataset_builder ../shared/data/fcdb_train

clean-venv:
	rm -rf $(VENV)

# The frozen one-folder build (issue 7): dist/cropstudio/{cropstudio,cropstudio-gui,_internal/}.
# PyInstaller is a build tool, not in requirements.lock: installed here at the tested pins.
PYINSTALLER_PINS ?= pyinstaller==6.22.3 pyinstaller-hooks-contrib==2026.9 altgraph==0.17.5
dist: $(STAMP)
	test -x $(BIN)/pyinstaller || $(BIN)/pip install --quiet $(PYINSTALLER_PINS)
	$(BIN)/pyinstaller build_spec/cropstudio.spec --distpath dist --workpath build/pyinstaller --noconfirm

# Smoke test of dist/cropstudio/, run from a temporary folder outside the source tree.
dist-check:
	cd /tmp && $(abspath $(BIN))/python $(abspath build_spec/smoke_test.py) $(abspath dist/cropstudio)
